//! `flux-krea-release`: builds (`latest-json`) and checks (`validate`) the updater feed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flux_krea_release::platform::Platform;
use flux_krea_release::{manifest, signature, Error, Release};

#[derive(Parser)]
#[command(about = "Release tooling for Flux Krea Desktop's updater feed")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build latest.json from a tree of signed Tauri bundles; fails (writing nothing) on any problem.
    LatestJson(LatestJsonArgs),
    /// Check an existing latest.json.
    Validate {
        file: PathBuf,
        /// Platform keys that must be present, comma-separated.
        #[arg(long, value_delimiter = ',')]
        require: Vec<String>,
    },
}

#[derive(clap::Args)]
struct LatestJsonArgs {
    /// The release's semver version (what the signatures were made for).
    #[arg(long)]
    version: String,
    #[arg(long)]
    notes_file: PathBuf,
    /// RFC 3339 date-time; default now.
    #[arg(long)]
    pub_date: Option<String>,
    /// URL the assets are downloaded from; each file name is appended to it.
    #[arg(long)]
    base_url: String,
    /// Folder searched recursively for bundles and their .sig files.
    #[arg(long)]
    artifacts: PathBuf,
    /// Tauri config holding plugins.updater.pubkey.
    #[arg(long)]
    pubkey_from: PathBuf,
    /// Platform keys that must be present, comma-separated (e.g. linux-x86_64,darwin-aarch64).
    #[arg(long, value_delimiter = ',')]
    require: Vec<String>,
    /// Output file (written atomically); stdout when absent.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::LatestJson(args) => latest_json(args),
        Command::Validate { file, require } => validate(&file, &require),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn platforms(keys: &[String]) -> Result<Vec<Platform>, Error> {
    keys.iter().map(|k| k.trim().parse().map_err(|reason| Error::Argument { field: "--require", reason })).collect()
}

fn latest_json(args: LatestJsonArgs) -> Result<(), Error> {
    let require = platforms(&args.require)?;
    let notes = std::fs::read_to_string(&args.notes_file)
        .map_err(|source| Error::Io { path: args.notes_file.clone(), source })?
        .trim_end()
        .to_owned();
    let public_key = signature::public_key_from_tauri_config(&args.pubkey_from)?;
    let manifest = flux_krea_release::latest_json(&Release {
        version: &args.version,
        notes,
        pub_date: args.pub_date,
        base_url: &args.base_url,
        artifacts_dir: &args.artifacts,
        public_key: &public_key,
        require: &require,
    })?;
    let json = manifest.to_json();
    match &args.output {
        Some(path) => write_atomically(path, json.as_bytes())?,
        None => print!("{json}"),
    }
    let keys: Vec<&str> = manifest.platforms.keys().map(String::as_str).collect();
    eprintln!("latest.json for {}: {}", manifest.version, keys.join(", "));
    Ok(())
}

fn validate(file: &Path, require: &[String]) -> Result<(), Error> {
    let require = platforms(require)?;
    let bytes = std::fs::read(file).map_err(|source| Error::Io { path: file.to_owned(), source })?;
    let manifest =
        manifest::parse(&bytes).map_err(|e| Error::Config { path: file.to_owned(), reason: e.to_string() })?;
    let missing: Vec<String> =
        require.iter().map(|p| p.to_string()).filter(|k| !manifest.platforms.contains_key(k)).collect();
    if !missing.is_empty() {
        let reason = format!("required platform(s) missing: {}", missing.join(", "));
        return Err(Error::Config { path: file.to_owned(), reason });
    }
    eprintln!("{}: valid, version {}, {} platforms", file.display(), manifest.version, manifest.platforms.len());
    Ok(())
}

/// Temp file in the same folder, then rename: readers never see a half-written feed.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
