import Commands
StrataCommand.run()
