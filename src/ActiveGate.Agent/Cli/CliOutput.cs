using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Agent.Hosting;

namespace ActiveGate.Agent.Cli;

/// <summary>Shared plumbing for commands that ask the running agent something.</summary>
internal static class AgentQuery
{
    public static readonly Option<string?> SocketOption = new("--socket")
    {
        Description = "Diagnostics socket of the agent (default: $ACTIVEGATE_SOCKET, /run/activegate/activegate.sock, ./.run/activegate.sock)",
        Recursive = true,
    };

    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print the agent's JSON answer instead of text" };

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>
    /// Sends <paramref name="command"/> and prints the answer with <paramref name="render"/>, or as JSON
    /// with <c>--json</c>. Maps "not running", refusals and time-outs to exit codes.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parse, string command, JsonObject? arguments, Action<JsonElement, TextWriter> render, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        string socket = AgentPaths.ResolveClientSocket(parse.GetValue(SocketOption), Environment.GetEnvironmentVariable);
        try
        {
            JsonElement result = await DiagnosticsClient.RequestAsync(socket, command, arguments, timeout ?? TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(JsonOption))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(result, s_indented));
            }
            else
            {
                render(result, Console.Out);
            }

            return ExitCodes.Ok;
        }
        catch (AgentNotRunningException ex)
        {
            Console.Error.WriteLine("activegate: " + ex.Message + ". Start it with 'systemctl start activegate' or './build.sh run'.");
            return ExitCodes.AgentNotRunning;
        }
        catch (DiagnosticsCommandException ex)
        {
            Console.Error.WriteLine($"activegate: {command}: {ex.Message}");
            return ex.Code == "bad-request" ? ExitCodes.Usage : ExitCodes.RemoteError;
        }
        catch (TimeoutException ex)
        {
            Console.Error.WriteLine("activegate: " + ex.Message);
            return ExitCodes.Timeout;
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine("activegate: lost the connection to the agent: " + ex.Message);
            return ExitCodes.Failure;
        }
    }

    public static string Seconds(double seconds) =>
        seconds < 60 ? $"{seconds:0.#} s" : TimeSpan.FromSeconds(Math.Round(seconds)).ToString(seconds >= 86400 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture);
}
