import CarbonTrackerCLICore
import Foundation

exit(CarbonTrackerCommand.main())
