//! A string that must never be printed: tokens, refresh tokens, API keys, client secrets.

use std::fmt;

use zeroize::Zeroize;

/// A secret value. `Debug` and `Display` print `***`; the value is wiped from memory when dropped.
/// Reading it takes an explicit [`Secret::expose`], which makes every use easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short, harmless hint for the UI: the prefix and the last four characters
    /// (`atom_pub_…0002`), never more than a fifth of the value.
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 20 {
            return "***".into();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        match self.0.find('_').and_then(|i| self.0[i + 1..].find('_').map(|j| i + j + 2)) {
            Some(prefix_end) if prefix_end <= 12 => format!("{}…{tail}", &self.0[..prefix_end]),
            _ => format!("…{tail}"),
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("atom_pub_00000000-0000-4000-8000-000000000002");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
    }

    #[test]
    fn hint_shows_prefix_and_last_four() {
        assert_eq!(Secret::new("atom_pub_00000000-0000-4000-8000-000000000002").hint(), "atom_pub_…0002");
        assert_eq!(Secret::new("abcdefghijklmnopqrstuvwxyz").hint(), "…wxyz");
        assert_eq!(Secret::new("short").hint(), "***");
    }
}
