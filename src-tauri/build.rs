fn main() {
    // The app's sources (and capabilities) live in src-tauri/ while the package root is the repo root.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*.json")
            // Naming the app's commands makes Tauri generate `allow-<command>` permissions, so the
            // capability file can grant exactly these and nothing else.
            .app_manifest(tauri_build::AppManifest::new().commands(&[
                "app_info",
                "get_settings",
                "update_settings",
                "launch_screen",
                "gallery_page",
                "generation_details",
                "set_favourite",
                "delete_generations",
                "list_collections",
                "create_collection",
                "rename_collection",
                "delete_collection",
                "add_to_collection",
                "remove_from_collection",
                "reveal_file",
                "get_retention",
                "set_retention",
                "preview_purge",
                "model_catalogue",
                "generate",
                "queue_state",
                "set_queue_paused",
                "cancel_job",
                "retry_job",
                "request_from",
                "preview_input_image",
                "stage_pasted_image",
                "replicate_key_status",
                "set_replicate_key",
                "remove_replicate_key",
                "spend_summary",
                "set_monthly_budget",
                "privacy_report",
                "consents",
                "set_consent",
                "consent_history",
                "suggested_export_path",
                "export_data",
                "erase_prompts",
                "erase_everything",
                "privacy_requests",
            ])),
    )
    .expect("tauri build script failed");
}
