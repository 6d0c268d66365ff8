fn main() -> std::process::ExitCode {
    mailsleuth::cli::main()
}
