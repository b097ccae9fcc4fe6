//! Command-line definitions (clap) and dispatch.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
