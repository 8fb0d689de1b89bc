import VitalGateCommands

VitalGateCommand.main()
