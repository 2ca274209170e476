// `npm run bindings`: regenerates ui/src/lib/bindings.ts from the Rust commands. The shell's
// `bindings` test writes the file when FLUX_KREA_WRITE_BINDINGS is set; set here rather than in
// package.json, so the command is the same in bash, cmd.exe and PowerShell.
import { spawnSync } from 'node:child_process';

const run = spawnSync('cargo', ['test', '--lib', '-p', 'flux-krea-desktop', 'bindings'], {
  stdio: 'inherit',
  env: { ...process.env, FLUX_KREA_WRITE_BINDINGS: '1' },
  // cargo is cargo.exe on Windows; a shell finds it on PATH the same way everywhere.
  shell: process.platform === 'win32',
});
if (run.error) console.error(`could not run cargo: ${run.error.message}`);
process.exit(run.status ?? 1);
