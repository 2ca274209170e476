//! Updater platform keys: `{os}-{arch}` or `{os}-{arch}-{installer}`, the names
//! tauri-plugin-updater looks up in `latest.json` (it tries the installer-specific key first).

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Os {
    Linux,
    Windows,
    Darwin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    I686,
    Aarch64,
    Armv7,
    Riscv64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Installer {
    AppImage,
    Deb,
    Rpm,
    Nsis,
    Msi,
    App,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
    pub installer: Option<Installer>,
}

impl Os {
    pub fn name(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Windows => "windows",
            Os::Darwin => "darwin",
        }
    }
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I686 => "i686",
            Arch::Aarch64 => "aarch64",
            Arch::Armv7 => "armv7",
            Arch::Riscv64 => "riscv64",
        }
    }

    fn from_key(s: &str) -> Option<Arch> {
        [Arch::X86_64, Arch::I686, Arch::Aarch64, Arch::Armv7, Arch::Riscv64].into_iter().find(|a| a.name() == s)
    }

    /// The spellings bundlers put in file names (`amd64` in .deb, `x64` in NSIS/MSI, …).
    fn from_file_token(token: &str) -> Option<Arch> {
        match token {
            "amd64" | "x86_64" | "x64" => Some(Arch::X86_64),
            "arm64" | "aarch64" => Some(Arch::Aarch64),
            "i386" | "i686" | "x86" => Some(Arch::I686),
            "armv7" | "armhf" | "armv7l" => Some(Arch::Armv7),
            "riscv64" => Some(Arch::Riscv64),
            _ => None,
        }
    }

    /// Every architecture a file name mentions, e.g. `Flux.Krea_1.2.0_x64-setup.exe` → [x86_64].
    pub fn all_in_file_name(name: &str) -> Vec<Arch> {
        // `x86_64` would split into `x86` + `64` on the underscore; give it a separator-free spelling.
        let name = name.to_ascii_lowercase().replace("x86_64", "amd64");
        let mut found: Vec<Arch> =
            name.split(|c: char| !c.is_ascii_alphanumeric()).filter_map(Arch::from_file_token).collect();
        found.sort();
        found.dedup();
        found
    }
}

impl Installer {
    pub fn name(self) -> &'static str {
        match self {
            Installer::AppImage => "appimage",
            Installer::Deb => "deb",
            Installer::Rpm => "rpm",
            Installer::Nsis => "nsis",
            Installer::Msi => "msi",
            Installer::App => "app",
        }
    }

    pub fn os(self) -> Os {
        match self {
            Installer::AppImage | Installer::Deb | Installer::Rpm => Os::Linux,
            Installer::Nsis | Installer::Msi => Os::Windows,
            Installer::App => Os::Darwin,
        }
    }

    /// Whether this installer also serves the plain `{os}-{arch}` key (for apps whose bundle type
    /// is unknown, and older updaters): AppImage on Linux, NSIS on Windows, the .app on macOS.
    pub fn serves_plain_key(self) -> bool {
        matches!(self, Installer::AppImage | Installer::Nsis | Installer::App)
    }

    /// The updater artifact kind of a bundle file name, if it is one.
    pub fn from_file_name(name: &str) -> Option<Installer> {
        let lower = name.to_ascii_lowercase();
        [
            (".appimage", Installer::AppImage),
            (".deb", Installer::Deb),
            (".rpm", Installer::Rpm),
            ("-setup.exe", Installer::Nsis),
            (".msi", Installer::Msi),
            (".app.tar.gz", Installer::App),
        ]
        .into_iter()
        .find(|(suffix, _)| lower.ends_with(suffix) && lower.len() > suffix.len())
        .map(|(_, installer)| installer)
    }

    fn from_key(s: &str) -> Option<Installer> {
        [Installer::AppImage, Installer::Deb, Installer::Rpm, Installer::Nsis, Installer::Msi, Installer::App]
            .into_iter()
            .find(|i| i.name() == s)
    }
}

/// The OS and architecture of a Rust target triple such as `aarch64-apple-darwin`.
pub fn parse_target_triple(name: &str) -> Option<(Os, Arch)> {
    let mut parts = name.split('-');
    let arch = match parts.next()? {
        "x86_64" => Arch::X86_64,
        "i686" | "i586" => Arch::I686,
        "aarch64" => Arch::Aarch64,
        "armv7" => Arch::Armv7,
        "riscv64gc" | "riscv64" => Arch::Riscv64,
        _ => return None,
    };
    let rest: Vec<&str> = parts.collect();
    let os = if rest.contains(&"darwin") {
        Os::Darwin
    } else if rest.contains(&"windows") {
        Os::Windows
    } else if rest.contains(&"linux") {
        Os::Linux
    } else {
        return None;
    };
    (rest.len() >= 2).then_some((os, arch))
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.os.name(), self.arch.name())?;
        if let Some(installer) = self.installer {
            write!(f, "-{}", installer.name())?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(key: &str) -> Result<Platform, String> {
        let bad = || {
            format!(
                "{key:?} is not an updater platform key: expected {{linux|windows|darwin}}-{{x86_64|i686|aarch64|armv7|riscv64}}[-{{appimage|deb|rpm|nsis|msi|app}}]"
            )
        };
        let (os, rest) = key.split_once('-').ok_or_else(bad)?;
        let os = [Os::Linux, Os::Windows, Os::Darwin].into_iter().find(|o| o.name() == os).ok_or_else(bad)?;
        // Arch names contain `_` but never `-`, so the next `-` (if any) starts the installer.
        let (arch, installer) = match rest.split_once('-') {
            Some((arch, installer)) => (arch, Some(Installer::from_key(installer).ok_or_else(bad)?)),
            None => (rest, None),
        };
        let arch = Arch::from_key(arch).ok_or_else(bad)?;
        if let Some(installer) = installer.filter(|i| i.os() != os) {
            return Err(format!("{key:?}: a {} installer does not run on {}", installer.name(), os.name()));
        }
        Ok(Platform { os, arch, installer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_bad_shapes_are_refused() {
        for key in ["linux-x86_64", "linux-aarch64-appimage", "windows-i686-msi", "darwin-aarch64-app"] {
            assert_eq!(key.parse::<Platform>().unwrap().to_string(), key);
        }
        for key in ["", "linux", "linux-x86-64", "macos-aarch64", "linux-x86_64-", "linux-x86_64-msi", "LINUX-x86_64"] {
            assert!(key.parse::<Platform>().is_err(), "{key} accepted");
        }
    }

    #[test]
    fn arch_from_bundler_file_names() {
        assert_eq!(Arch::all_in_file_name("Flux Krea_1.2.0_amd64.AppImage"), [Arch::X86_64]);
        assert_eq!(Arch::all_in_file_name("Flux.Krea-1.2.0-1.x86_64.rpm"), [Arch::X86_64]);
        assert_eq!(Arch::all_in_file_name("Flux.Krea_1.2.0_x64_en-US.msi"), [Arch::X86_64]);
        assert_eq!(Arch::all_in_file_name("Flux.Krea_1.2.0_arm64.deb"), [Arch::Aarch64]);
        assert_eq!(Arch::all_in_file_name("Flux.Krea_1.2.0_x86-setup.exe"), [Arch::I686]);
        assert_eq!(Arch::all_in_file_name("Flux Krea.app.tar.gz"), []);
        assert_eq!(Arch::all_in_file_name("a_x64_arm64.AppImage"), [Arch::X86_64, Arch::Aarch64]);
    }

    #[test]
    fn target_triples() {
        assert_eq!(parse_target_triple("aarch64-apple-darwin"), Some((Os::Darwin, Arch::Aarch64)));
        assert_eq!(parse_target_triple("x86_64-pc-windows-msvc"), Some((Os::Windows, Arch::X86_64)));
        assert_eq!(parse_target_triple("x86_64-unknown-linux-gnu"), Some((Os::Linux, Arch::X86_64)));
        assert_eq!(parse_target_triple("macos"), None);
        assert_eq!(parse_target_triple("x86_64"), None);
    }
}
