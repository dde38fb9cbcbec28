using System.CommandLine;
using ActiveGate.Agent.Cli;

namespace ActiveGate.Agent;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        RootCommand root = CliRoot.Build();
        ParseResult parse = root.Parse(args);
        var invocation = new InvocationConfiguration();
        if (parse.CommandResult.Command.Name == "run")
        {
            // The host owns SIGTERM/SIGINT for the daemon (graceful stop within HostOptions.ShutdownTimeout).
            invocation.ProcessTerminationTimeout = null;
        }

        int exitCode = await parse.InvokeAsync(invocation).ConfigureAwait(false);

        // System.CommandLine prints the errors and usage and returns 1; the documented code for usage is 2.
        return parse.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
    }
}
