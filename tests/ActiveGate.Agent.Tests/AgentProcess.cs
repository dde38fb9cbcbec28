using System.Diagnostics;
using ActiveGate.TestKit;

namespace ActiveGate.Agent.Tests;

/// <summary>
/// The real <c>activegate</c> executable, started as a child process in a scratch directory
/// (its <c>./.run/</c> lives there) with a clean environment.
/// </summary>
internal sealed class AgentProcess : ChildProcess
{
    private AgentProcess(Process process, string workingDirectory)
        : base(process)
    {
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    public string SocketPath => Path.Combine(WorkingDirectory, ".run", "activegate.sock");

    /// <summary>The built agent assembly, copied next to the tests by the project reference.</summary>
    public static string AgentDll => Path.Combine(AppContext.BaseDirectory, "activegate.dll");

    public static string NewScratchDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "activegate-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Starts <c>activegate ARGS</c>; <paramref name="launcher"/> optionally runs it through a wrapper script.</summary>
    public static AgentProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null, string? launcher = null)
    {
        workingDirectory ??= NewScratchDirectory();
        var start = new ProcessStartInfo(launcher ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launcher is not null)
        {
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(AgentDll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No system configuration, no inherited systemd context.
        start.Environment["CONFIGURATION_DIRECTORY"] = Path.Combine(workingDirectory, "etc");
        foreach (string variable in new[] { "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "STATE_DIRECTORY", "LOGS_DIRECTORY", "RUNTIME_DIRECTORY", "ACTIVEGATE_SOCKET", "INVOCATION_ID" })
        {
            start.Environment.Remove(variable);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        return new AgentProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start the agent"), workingDirectory);
    }

    /// <summary>Runs <c>activegate ARGS</c> to completion (a CLI call) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(IEnumerable<string> arguments, string? workingDirectory = null, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        await using AgentProcess process = Start(arguments, environment, workingDirectory);
        bool exited = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(30));
        Assert.True(exited, "activegate did not exit in time: " + process.Output);
        return (process.ExitCode, process.Output);
    }

    /// <summary>Waits until the diagnostics socket exists (the agent binds it before READY=1).</summary>
    public async Task WaitForSocketAsync(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(SocketPath))
        {
            Assert.False(HasExited, "the agent exited early: " + Output);
            Assert.True(DateTime.UtcNow < deadline, "the agent did not open its diagnostics socket: " + Output);
            await Task.Delay(50);
        }
    }

    public void Signal(int signal)
    {
        Assert.Equal(0, NativeMethods.Kill(Id, signal));
    }

}

internal static partial class NativeMethods
{
    public const int SigTerm = 15;
    public const int SigInt = 2;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
