from figtrace.cli import main

main()
