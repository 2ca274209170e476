//! Files the app reads because the user picked them, and the file it writes for an export: only
//! regular files are read, never past the limit, and an export never follows a planted name or
//! replaces a file (issue #20, item 2). The shell's own check (only paths chosen in this session)
//! is tested in src-tauri/picked.rs.

use std::path::Path;
use std::time::Duration;

use flux_krea_core::generation::input_image;
use flux_krea_core::{Core, Error};

use crate::core_in as core;

fn reason(error: Error, field: &str) -> String {
    match error {
        Error::InvalidInput { field: f, reason } if f == field => reason,
        other => panic!("expected invalid_input naming {field}, got {other:?}"),
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_device_is_refused_as_a_picture_without_being_read() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path()).await;
    let refused = reason(core.preview_input_image("/dev/null").await.unwrap_err(), "image");
    assert!(refused.contains("/dev/null") && refused.contains("not a regular file"), "{refused}");
    // What Generate sends goes through the same read (a device like /dev/zero would never end).
    let refused = reason(input_image::load("input_image", Path::new("/dev/null"), 1024).unwrap_err(), "input_image");
    assert!(refused.contains("not a regular file"), "{refused}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_is_refused_instead_of_waiting_for_a_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path()).await;
    let fifo = tmp.path().join("pipe.png");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Should a read ever wait on the FIFO, a late writer ends it, so a failing test ends too.
    let late = fifo.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(12));
        let _ = std::fs::OpenOptions::new().write(true).open(late);
    });
    let preview = tokio::time::timeout(Duration::from_secs(10), core.preview_input_image(&fifo.display().to_string()))
        .await
        .expect("the preview waited on a FIFO");
    let refused = reason(preview.unwrap_err(), "image");
    assert!(refused.contains("not a regular file"), "{refused}");
}

#[test]
fn a_picture_is_read_up_to_the_limit_and_no_further() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.png");
    std::fs::write(&path, vec![7u8; 4096]).unwrap();
    assert_eq!(input_image::read_limited("image", &path, 4096).unwrap().len(), 4096);
    let refused = reason(input_image::read_limited("image", &path, 4095).unwrap_err(), "image");
    assert!(refused.contains("big.png is"), "{refused}");
}

async fn seeded(dir: &Path) -> Core {
    let core = core(dir).await;
    let mut policy = core.retention().await.unwrap();
    policy.window_days = None;
    core.set_retention(&policy).await.unwrap();
    core.seed_synthetic(3).await.unwrap();
    core
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

#[tokio::test]
async fn an_export_must_be_a_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let core = seeded(tmp.path()).await;
    let out = tmp.path().join("my-data.txt");
    let refused = reason(core.export_data(&out, &|_| {}).await.unwrap_err(), "out");
    assert!(refused.contains("my-data.txt") && refused.contains(".zip"), "{refused}");
    assert!(!out.exists());
}

#[tokio::test]
async fn an_export_never_replaces_a_file_that_appears_while_it_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let core = seeded(tmp.path()).await;
    let out = tmp.path().join("my-data.zip");
    let error = core
        .export_data(&out, &|_| {
            if !out.exists() {
                std::fs::write(&out, b"someone else's file").unwrap();
            }
        })
        .await
        .unwrap_err();
    let refused = reason(error, "out");
    assert!(refused.contains("already exists"), "{refused}");
    assert_eq!(std::fs::read(&out).unwrap(), b"someone else's file");
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new(), "the temporary file stayed");
}

#[cfg(unix)]
#[tokio::test]
async fn an_export_never_writes_through_a_planted_temporary_name() {
    let tmp = tempfile::tempdir().unwrap();
    let core = seeded(tmp.path()).await;
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    // The temporary names an export used or uses, pointed at another file beforehand.
    for planted in [".my-data.zip.partial".to_string(), format!(".my-data.zip.{}-0.partial", std::process::id())] {
        std::os::unix::fs::symlink(&victim, tmp.path().join(planted)).unwrap();
    }
    let out = tmp.path().join("my-data.zip");
    let report = core.export_data(&out, &|_| {}).await.unwrap();
    assert_eq!(report.generations, 3);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious", "the export wrote through a planted link");
    assert!(zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).is_ok());
    assert!(!out.symlink_metadata().unwrap().file_type().is_symlink());
}
