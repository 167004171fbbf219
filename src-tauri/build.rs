include!("src/command_list.rs");

const COMMANDS: &[&str] = with_commands!(command_names);

fn main() {
    // tauri.conf.json sits at the repository root; the capabilities live beside the Rust sources. The
    // app's commands become permissions (`allow-app-info`, …): without this manifest every command
    // would be callable by any window, whatever the capabilities say.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
