import StatesmanCommands

await Statesman.runAndExit()
