//! Files the user chose in this session. The webview names files only by paths the shell told it:
//! pictures picked in the shell's file dialog, dropped on the window (the drop event comes from
//! the OS through the shell), pasted (staged by the core) or kept with a gallery item (Re-run); the
//! export goes only where the save dialog said, or to the suggested default. A compromised webview
//! can therefore neither probe nor send nor overwrite any other file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use flux_krea_core::generation::{GenerationRequest, InputValue};
use flux_krea_core::Error;

#[derive(Default)]
pub struct Picked {
    pictures: Mutex<HashSet<String>>,
    exports: Mutex<HashSet<String>>,
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

impl Picked {
    /// A picture the user chose; returns the path as the webview will name it.
    pub fn allow_picture(&self, path: &Path) -> String {
        let path = text(path);
        if let Ok(mut set) = self.pictures.lock() {
            set.insert(path.clone());
        }
        path
    }

    /// The path named by the webview for `field`, if the user chose it in this session.
    pub fn picture(&self, field: &str, path: &str) -> Result<PathBuf, Error> {
        let known = self.pictures.lock().map(|set| set.contains(path)).unwrap_or(false);
        if known {
            Ok(PathBuf::from(path))
        } else {
            Err(Error::invalid(field, "this picture was not chosen here; choose it, drop it or paste it again"))
        }
    }

    /// Every picture a request names (Re-run's come from the history, which only ever held chosen ones).
    pub fn allow_request(&self, request: &GenerationRequest, image_fields: &[String]) {
        for (name, value) in &request.inputs {
            if let (true, InputValue::Text(path)) = (image_fields.contains(name), value) {
                self.allow_picture(Path::new(path));
            }
        }
    }

    /// Refuses a request naming a picture the user did not choose.
    pub fn check_request(&self, request: &GenerationRequest, image_fields: &[String]) -> Result<(), Error> {
        for (name, value) in &request.inputs {
            if let (true, InputValue::Text(path)) = (image_fields.contains(name), value) {
                self.picture(name, path)?;
            }
        }
        Ok(())
    }

    /// A destination the save dialog returned or the shell suggested.
    pub fn allow_export(&self, path: &Path) -> String {
        let path = text(path);
        if let Ok(mut set) = self.exports.lock() {
            set.insert(path.clone());
        }
        path
    }

    pub fn export(&self, path: &str) -> Result<PathBuf, Error> {
        let known = self.exports.lock().map(|set| set.contains(path)).unwrap_or(false);
        if known {
            Ok(PathBuf::from(path))
        } else {
            Err(Error::invalid("out", "choose where to save the archive in the save dialog"))
        }
    }
}

/// The save dialog adds no extension by itself on every OS: the archive is always a `.zip`.
pub fn with_zip_extension(path: PathBuf) -> PathBuf {
    let is_zip = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        path
    } else {
        let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".zip");
        path.with_file_name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(image: &str) -> GenerationRequest {
        GenerationRequest {
            model: "flux-dev".into(),
            inputs: [
                ("prompt".to_string(), InputValue::Text("/etc/passwd is just words here".into())),
                ("image".to_string(), InputValue::Text(image.into())),
            ]
            .into(),
            parent_id: None,
            exact_rerun: false,
            style: None,
        }
    }

    #[test]
    fn only_chosen_pictures_are_accepted() {
        let picked = Picked::default();
        let fields = vec!["image".to_string()];
        let err = picked.check_request(&request("/home/me/.ssh/id_ed25519"), &fields).unwrap_err();
        assert!(matches!(&err, Error::InvalidInput { field, .. } if field == "image"), "{err:?}");
        assert!(picked.picture("image", "/dev/zero").is_err());

        let chosen = picked.allow_picture(Path::new("/home/me/cat.png"));
        assert_eq!(picked.picture("image", &chosen).unwrap(), PathBuf::from("/home/me/cat.png"));
        picked.check_request(&request("/home/me/cat.png"), &fields).unwrap();
        // Text fields are not paths: only image fields are checked.
        assert!(picked.check_request(&request("/home/me/cat.png"), &[]).is_ok());
        // A path that merely resolves to the same file is still not the one the user chose.
        assert!(picked.picture("image", "/home/me/./cat.png").is_err());
    }

    #[test]
    fn a_rerun_request_allows_the_pictures_it_names() {
        let picked = Picked::default();
        let fields = vec!["image".to_string()];
        picked.allow_request(&request("/data/staging/pasted-1.png"), &fields);
        picked.check_request(&request("/data/staging/pasted-1.png"), &fields).unwrap();
        picked.allow_request(&request("/elsewhere.png"), &[]);
        assert!(picked.picture("image", "/elsewhere.png").is_err());
    }

    #[test]
    fn exports_go_only_where_the_user_or_the_shell_said() {
        let picked = Picked::default();
        let err = picked.export("/home/me/.bashrc").unwrap_err();
        assert!(matches!(&err, Error::InvalidInput { field, .. } if field == "out"), "{err:?}");
        let chosen = picked.allow_export(Path::new("/home/me/Downloads/flux.zip"));
        assert_eq!(picked.export(&chosen).unwrap(), PathBuf::from("/home/me/Downloads/flux.zip"));
        // Pictures and exports are separate lists.
        assert!(picked.picture("image", &chosen).is_err());
    }

    #[test]
    fn the_archive_always_ends_in_zip() {
        assert_eq!(with_zip_extension("/a/data".into()), PathBuf::from("/a/data.zip"));
        assert_eq!(with_zip_extension("/a/data.ZIP".into()), PathBuf::from("/a/data.ZIP"));
        assert_eq!(with_zip_extension("/a/data.tar".into()), PathBuf::from("/a/data.tar.zip"));
    }
}
