using System.CommandLine;
using ActiveGate.Agent.Hosting;
using ActiveGate.Agent.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Serilog;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate run [--config PATH]</c>: the daemon.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config")
        {
            Description = "Extra configuration file, read after $CONFIGURATION_DIRECTORY/appsettings.json (default /etc/activegate/appsettings.json)",
        };
        var command = new Command("run", "Run the agent (the systemd service runs this)") { config };
        command.SetAction((result, cancellationToken) => RunAsync(result.GetValue(config), cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string? configFile, CancellationToken cancellationToken)
    {
        AgentLogging.ConfigureBootstrap(SystemdHelpers.IsSystemdService());
        ILogger log = Log.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "ActiveGate.Agent");
        var errors = new ConfigurationErrors();
        IHost? host = null;
        try
        {
            HostApplicationBuilder builder = AgentHost.CreateBuilder(configFile, Environment.GetEnvironmentVariable, errors);
            using FileStream? instanceLock = AcquireInstanceLock(AgentPaths.FromEnvironment(Environment.GetEnvironmentVariable).StateDirectory);
            if (instanceLock is null)
            {
                return ExitCodes.Failure;
            }

            try
            {
                // Options are bound while the host is built (the logger reads its section) and validated at start.
                host = builder.Build();
                log.Information("ActiveGate {Version} starting (pid {Pid})", AgentRuntimeInfo.Version, Environment.ProcessId);
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
                log.Information("ActiveGate stopped");

                // A part that stopped the host on purpose (the LwM2M server asked for a reboot) set the code.
                return Environment.ExitCode;
            }
            catch (Exception ex) when (errors.TryDescribe(ex, builder.Configuration, out string message))
            {
                return ConfigurationFailure(message);
            }
        }
        catch (AgentHost.ConfigurationException ex)
        {
            return ConfigurationFailure(ex.Message);
        }
#pragma warning disable CA1031 // The process boundary: log what killed us, then exit non-zero for systemd.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.Fatal(ex, "ActiveGate agent stopped unexpectedly");
            return ExitCodes.Failure;
        }
        finally
        {
            host?.Dispose();
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One agent per state directory: a second one would fight over the outbox and the radio.
    /// The lock is the kernel's (released when the process dies, even by kill -9).
    /// </summary>
    private static FileStream? AcquireInstanceLock(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        string path = Path.Combine(stateDirectory, "agent.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            Console.Error.WriteLine($"activegate: another agent is already running with state directory {stateDirectory}");
            return null;
        }
    }

    private static int ConfigurationFailure(string message)
    {
        Console.Error.WriteLine("activegate: invalid configuration: " + message);
        return ExitCodes.InvalidConfiguration;
    }
}
