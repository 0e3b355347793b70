import StatesmanCommands

Statesman.runAndExit()
