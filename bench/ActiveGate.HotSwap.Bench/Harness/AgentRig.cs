using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>The agent's outbox counters (<c>activegate outbox --json</c>).</summary>
public sealed record OutboxCounters(long Appended, long Delivered, long Depth, long Dropped, long Rejected);

/// <summary>
/// The agent and the device simulator as child processes, wired as bench/agent.sh does: the simulator serves a radio
/// board on a pty, the agent opens it and delivers to the first platform (environment ACTIVEGATE__Upstream__*), with its
/// state, runtime socket and configuration directory in a scratch directory. Logs go to files there.
/// </summary>
public sealed class AgentRig : IAsyncDisposable
{
    private readonly Process _simulator;
    private readonly Dictionary<string, string> _environment;
    private Process _agent;

    private AgentRig(string workDirectory, string agentBinary, Process simulator, Process agent, Dictionary<string, string> environment)
    {
        WorkDirectory = workDirectory;
        AgentBinary = agentBinary;
        _simulator = simulator;
        _agent = agent;
        _environment = environment;
    }

    public string WorkDirectory { get; }

    public string AgentBinary { get; }

    /// <summary>The agent's environment; a CLI call with it reaches this agent.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    public bool AgentExited => _agent.HasExited;

    /// <summary>How often the agent was started; after a restart its outbox counters cover only the last run.</summary>
    public int AgentStarts { get; private set; } = 1;

    public string AgentLogPath => Path.Combine(WorkDirectory, "agent.log");

    public static async Task<AgentRig> StartAsync(string agentBinary, string simulatorBinary, string workDirectory, PlatformAddress first,
        int plugs, int dins, double reportIntervalSeconds, IReadOnlyDictionary<string, string> extraEnvironment, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        string pty = Path.Combine(workDirectory, "radio.pty");
        Process simulator = Launch(simulatorBinary, workDirectory, "sim.log", new Dictionary<string, string>(),
            "--link", pty, "--plugs", plugs.ToString(CultureInfo.InvariantCulture), "--dins", dins.ToString(CultureInfo.InvariantCulture),
            "--report-interval", reportIntervalSeconds.ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < 100 && !File.Exists(pty); i++)
        {
            await Task.Delay(100, cancellationToken);
        }

        if (!File.Exists(pty))
        {
            simulator.Kill();
            throw new InvalidOperationException($"the simulator did not create {pty}; see {workDirectory}/sim.log");
        }

        var environment = new Dictionary<string, string>
        {
            ["STATE_DIRECTORY"] = Path.Combine(workDirectory, "state"),
            ["RUNTIME_DIRECTORY"] = Path.Combine(workDirectory, "run"),
            // For CLI calls (outbox, the cli swap driver): this agent's socket, whatever the caller's shell has set.
            ["ACTIVEGATE_SOCKET"] = Path.Combine(workDirectory, "run", "activegate.sock"),
            ["CONFIGURATION_DIRECTORY"] = Path.Combine(workDirectory, "etc"),
            ["ACTIVEGATE__Radio__Port"] = pty,
            ["ACTIVEGATE__Upstream__Url"] = first.Upstream.ToString(),
            ["ACTIVEGATE__Upstream__CseId"] = first.CseId,
            ["ACTIVEGATE__Upstream__CseName"] = first.CseName,
        };
        // What the swap driver needs the agent to have (e.g. the LwM2M server to register with).
        foreach ((string key, string value) in extraEnvironment)
        {
            environment[key] = value;
        }

        foreach (string dir in (string[])["state", "run", "etc"])
        {
            Directory.CreateDirectory(Path.Combine(workDirectory, dir));
        }

        Process agent = Launch(agentBinary, workDirectory, "agent.log", environment, "run");
        return new AgentRig(workDirectory, agentBinary, simulator, agent, environment);
    }

    private static Process Launch(string binary, string workDirectory, string logName, Dictionary<string, string> environment, params string[] arguments)
    {
        var psi = new ProcessStartInfo(binary) { WorkingDirectory = workDirectory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        // Not the caller's systemd context or agent (bench/agent.sh runs from a shell that may have them).
        foreach (string variable in (string[])["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "ACTIVEGATE_SOCKET", "INVOCATION_ID", "LOGS_DIRECTORY"])
        {
            psi.Environment.Remove(variable);
        }

        foreach ((string key, string value) in environment)
        {
            psi.Environment[key] = value;
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {binary}");
        var log = new StreamWriter(Path.Combine(workDirectory, logName), append: true) { AutoFlush = true };
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    log.WriteLine(line);
                }
            }
        }

        p.OutputDataReceived += (_, e) => Write(e.Data);
        p.ErrorDataReceived += (_, e) => Write(e.Data);
        p.Exited += (_, _) => { lock (gate) { log.Flush(); } };
        p.EnableRaisingEvents = true;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The agent's outbox counters, or null if the CLI did not answer.</summary>
    public async Task<OutboxCounters?> OutboxAsync(CancellationToken cancellationToken)
    {
        string? output = await CliJsonAsync("outbox", cancellationToken);
        if (output is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(output);
            JsonElement o = doc.RootElement;
            return new OutboxCounters(o.GetProperty("appended").GetInt64(), o.GetProperty("delivered").GetInt64(), o.GetProperty("depth").GetInt64(),
                o.GetProperty("dropped").GetInt64(), o.GetProperty("rejected").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// The agent's own account of its swaps (<c>activegate upstream --json</c>, each service's history): outcomes, and
    /// switchMs / firstReadingMs / roundTrips summarised, to set beside what the proxies saw. Null if the CLI did not answer.
    /// </summary>
    public async Task<string?> UpstreamHistoryAsync(Func<IEnumerable<double>, string> summarize, CancellationToken cancellationToken)
    {
        string? output = await CliJsonAsync("upstream", cancellationToken);
        if (output is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(output);
            var lines = new List<string>();
            foreach (JsonElement service in doc.RootElement.GetProperty("services").EnumerateArray())
            {
                JsonElement[] history = [.. service.GetProperty("history").EnumerateArray()];
                IEnumerable<double> Field(string name) => history.Select(h => h.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN);
                string outcomes = string.Join(", ", history.GroupBy(h => h.GetProperty("outcome").ToString()).Select(g => $"{g.Key} {g.Count()}"));
                lines.Add($"agent's own view, service {service.GetProperty("name")} (switches {service.GetProperty("switches")}, last {history.Length} in its history: {outcomes}): " +
                    $"switchMs {summarize(Field("switchMs"))}; firstReadingMs (from the policy's arrival) {summarize(Field("firstReadingMs"))}; " +
                    $"requests {summarize(Field("requests"))}; roundTrips {summarize(Field("roundTrips"))}; readingsInFlight {summarize(Field("readingsInFlight"))}");
            }

            return string.Join('\n', lines);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"(activegate upstream --json not understood: {ex.Message})";
        }
    }

    private async Task<string?> CliJsonAsync(string command, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(AgentBinary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = WorkDirectory };
        psi.ArgumentList.Add(command);
        psi.ArgumentList.Add("--json");
        foreach ((string key, string value) in Environment)
        {
            psi.Environment[key] = value;
        }

        using Process p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken);
        return p.ExitCode == 0 ? output : null;
    }

    /// <summary>
    /// Stops the agent (SIGTERM, waited for) and starts it again configured for <paramref name="target"/>: a swap by
    /// restart, the way a configuration change reaches an agent without hot swap. Its outbox and state are kept.
    /// </summary>
    public async Task RestartAgentAsync(PlatformAddress target)
    {
        await TerminateAsync(_agent);
        _agent.Dispose();
        _environment["ACTIVEGATE__Upstream__Url"] = target.Upstream.ToString();
        _environment["ACTIVEGATE__Upstream__CseId"] = target.CseId;
        _environment["ACTIVEGATE__Upstream__CseName"] = target.CseName;
        _agent = Launch(AgentBinary, WorkDirectory, "agent.log", _environment, "run");
        AgentStarts++;
    }

    /// <summary>Ends the readings at their source (SIGTERM to the simulator) so the outbox can drain.</summary>
    public Task StopDevicesAsync() => TerminateAsync(_simulator);

    private static async Task TerminateAsync(Process p)
    {
        if (p.HasExited)
        {
            return;
        }

        // SIGTERM, as systemd and bench/agent.sh stop them: a clean shutdown. Process.Kill would be SIGKILL.
        using (Process kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await TerminateAsync(_agent);
        await TerminateAsync(_simulator);
        _agent.Dispose();
        _simulator.Dispose();
    }
}
