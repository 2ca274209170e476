//! `key set`: typed on a terminal the token is not echoed and Enter ends it; piped, the first line
//! of stdin is the token. Both use a token the Replicate fake refuses, so no keychain is touched.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flux_krea_core::testing::Sandbox;
use flux_krea_fakes::replicate::RunningReplicate;

const ACCEPTED: &str = "r8_cli_key_accepted";
const REFUSED: &str = "r8_typed_but_not_accepted_42";

fn key_set(sandbox: &Sandbox) -> Command {
    let mut cmd = crate::cli(sandbox);
    cmd.args(["key", "set"]);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_key_set_reads_the_first_line_of_stdin() {
    let fake = RunningReplicate::start(&[ACCEPTED]).await.unwrap();
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", fake.base_url());
    let mut child =
        key_set(&sandbox).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{REFUSED}\nnot part of it\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // The first line alone reached Replicate (two lines would not even look like a token).
    assert!(stderr.contains("Replicate did not accept this token"), "{stderr}");
    assert!(!stderr.contains(REFUSED) && !String::from_utf8_lossy(&out.stdout).contains(REFUSED));
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_key_set_hides_the_token_and_enter_ends_it() {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;

    let fake = RunningReplicate::start(&[ACCEPTED]).await.unwrap();
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", fake.base_url());
    let (mut master, slave) = {
        let (mut m, mut s) = (-1, -1);
        // SAFETY: openpty writes two new descriptors, owned from here on.
        let rc = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        unsafe { (std::fs::File::from(OwnedFd::from_raw_fd(m)), OwnedFd::from_raw_fd(s)) }
    };
    let mut cmd = key_set(&sandbox);
    let end = || Stdio::from(slave.try_clone().unwrap());
    cmd.stdin(end()).stdout(end()).stderr(end());
    // SAFETY: only async-signal-safe calls. The terminal becomes the child's controlling one
    // (its /dev/tty), as in a user's shell.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    drop(slave);
    let mut reader = master.try_clone().unwrap();
    let screen = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        // Ends with EIO once the child has closed the terminal.
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            all.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&all).into_owned()
    });

    // Type once the CLI has turned echo off (the master reads the terminal's settings), or after 10 s.
    let master_fd = std::os::fd::AsRawFd::as_raw_fd(&master);
    let echo_off = || {
        // SAFETY: a zeroed termios is a valid out-parameter for tcgetattr.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        unsafe { libc::tcgetattr(master_fd, &mut t) == 0 && t.c_lflag & libc::ECHO == 0 }
    };
    let start = Instant::now();
    while !echo_off() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    master.write_all(format!("{REFUSED}\n").as_bytes()).unwrap();

    // Enter alone ends the input: no end-of-file is ever typed.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(15) {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let screen = screen.join().unwrap();
    let status = status.unwrap_or_else(|| panic!("Enter did not end the input; the terminal shows {screen:?}"));
    assert!(!status.success());
    assert!(screen.contains("it is not shown"), "{screen:?}");
    assert!(!screen.contains(REFUSED), "the token was echoed: {screen:?}");
    assert!(screen.contains("Replicate did not accept this token"), "{screen:?}");
}
