import CarbonTrackerCLICore
import Foundation

exit(CarbonTrackerCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
