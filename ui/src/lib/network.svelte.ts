// Whether the server answers. The Rust side watches it (a failed request marks it down, a probe brings
// it back) and says so with the "connectivity" event; every screen reads it from here.
export const network = $state({ online: true });
