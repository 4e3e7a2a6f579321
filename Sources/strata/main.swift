import Commands
StrataCommand.main()
