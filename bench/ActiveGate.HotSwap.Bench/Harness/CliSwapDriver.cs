using System.Diagnostics;

namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>
/// PROVISIONAL: swaps by running <c>activegate upstream switch SERVICE URL --cse-id ID --cse-name NAME</c> against the
/// running agent (its diagnostics socket, found through the same RUNTIME_DIRECTORY). THAT COMMAND DOES NOT EXIST YET:
/// it is written against the interface the issue names so that the harness runs as soon as it does; until then the
/// first swap fails with the CLI's usage error. The acknowledgement time is the CLI's exit, an upper bound (process
/// teardown, some ms, is included); an LwM2M driver should take the time the write's 2.04 Changed arrives instead.
/// </summary>
public sealed class CliSwapDriver : ISwapDriver
{
    private readonly string _agentBinary;
    private readonly string _service;
    private readonly IReadOnlyDictionary<string, string> _environment;

    /// <param name="service">The upstream service whose platform changes (the SERVICE argument).</param>
    /// <param name="environment">The agent's environment (RUNTIME_DIRECTORY, …), so the CLI finds that agent.</param>
    public CliSwapDriver(string agentBinary, string service, IReadOnlyDictionary<string, string> environment)
    {
        _agentBinary = agentBinary;
        _service = service;
        _environment = environment;
    }

    public string Description => $"CLI: activegate upstream switch {_service} URL (provisional; the command is not in the agent yet)";

    public async Task<DateTimeOffset> SwitchAsync(PlatformAddress target, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(_agentBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["upstream", "switch", _service, target.Upstream.ToString(), "--cse-id", target.CseId, "--cse-name", target.CseName])
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in _environment)
        {
            psi.Environment[key] = value;
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_agentBinary}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("activegate upstream switch did not return within 30 s");
        }

        DateTimeOffset acknowledged = timeProvider.GetUtcNow();
        if (process.ExitCode != 0)
        {
            string why = ((await stderr).Trim() + "\n" + (await stdout).Trim()).Trim().Split('\n')[0];
            throw new InvalidOperationException($"activegate upstream switch exited with {process.ExitCode}: {why}");
        }

        return acknowledged;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
