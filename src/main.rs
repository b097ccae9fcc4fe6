fn main() -> std::process::ExitCode {
    chartmill::cli::main()
}
