//! A second start of the app (the desktop opening one of its links while it runs, or a second click on
//! its icon) has one job: hand its arguments to the running app. On Linux the single-instance plugin
//! does that over the D-Bus session bus, but only once Tauri and GTK are up, after the start-up's own
//! work (the web engine's tuning, the desktop's proxy, the trust store). This does it first, with the
//! plugin's own call: the running app's plugin answers it as it answers the plugin. When no app holds
//! the name, or the call fails (another version of the plugin), the start goes on as usual and the
//! plugin decides.

use zbus::blocking::Connection;
use zbus::names::BusName;

/// The bus name and object path the single-instance plugin registers for the app `identifier`.
fn plugin_address(identifier: &str) -> (String, String) {
    let name = format!("{identifier}.SingleInstance");
    let mut path = name.replace('.', "/").replace('-', "_");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    (name, path)
}

/// Hands `argv` to the running app, if there is one; `true` when it took them (this process then ends).
pub fn to_running_app(identifier: &str, argv: &[String]) -> bool {
    let (name, path) = plugin_address(identifier);
    let Ok(connection) = Connection::session() else { return false };
    let Ok(bus) = BusName::try_from(name.as_str()) else { return false };
    let dbus = zbus::blocking::fdo::DBusProxy::new(&connection);
    if !dbus.is_ok_and(|d| d.name_has_owner(bus.clone()).unwrap_or(false)) {
        return false;
    }
    let cwd = std::env::current_dir().unwrap_or_default().to_string_lossy().into_owned();
    let sent = connection.call_method(
        Some(bus),
        path.as_str(),
        Some("org.SingleInstance.DBus"),
        "ExecuteCallback",
        &(argv.to_vec(), cwd.as_str()),
    );
    match sent {
        Ok(_) => true,
        Err(e) => {
            tracing::info!("could not hand the link to the running app directly ({e}); starting as usual");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    /// The plugin's name and path for this app (tauri.conf.json's identifier: the app's tests hold it
    /// equal to `IDENTIFIER`).
    #[test]
    fn the_address_is_the_plugins_for_this_apps_identifier() {
        let (name, path) = super::plugin_address(crate::IDENTIFIER);
        assert_eq!(name, "com.atomagentos.marketplace.SingleInstance");
        assert_eq!(path, "/com/atomagentos/marketplace/SingleInstance");
    }
}
