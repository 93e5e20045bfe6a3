#pragma once
// The whole `plinth` command line with its environment and output streams passed in, so that
// tests can run commands in-process. Run (cli.h) is this with the real process environment,
// std::cout and std::cerr.

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/connection.h"

namespace plinth::cli {

// `args` excludes the program name. Command output goes to `out`; a failure prints one line
// "plinth: ..." to `err`. Returns the exit code: 0 ok, 1 failure, 2 usage error (see errors.h).
int RunCommandLine(const std::vector<std::string>& args, const ServerMain& server_main,
                   const EnvLookup& env, std::ostream& out, std::ostream& err);

}  // namespace plinth::cli
