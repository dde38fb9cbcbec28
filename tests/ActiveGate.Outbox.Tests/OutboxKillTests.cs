using System.Diagnostics;
using System.Text;
using ActiveGate.Outbox;

namespace ActiveGate.Outbox.Tests;

/// <summary>
/// kill -9 of a real process that is appending to the outbox: every append it acknowledged must be on disk after
/// reopening (any torn tail is truncated, never fatal). The child is this test assembly (see ChildProcessEntry).
/// </summary>
public sealed class OutboxKillTests
{
    [Fact]
    public async Task Every_acknowledged_append_survives_kill_9_repeatedly()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ag-kill-" + Guid.NewGuid().ToString("N"));
        try
        {
            var acked = new Dictionary<long, string>();
            for (int round = 0; round < 3; round++)
            {
                foreach ((long seq, string payload) in await RunAndKillAsync(dir, killAfterAcks: 300 + (round * 137)))
                {
                    Assert.True(acked.TryAdd(seq, payload), $"sequence {seq} acknowledged twice");
                }

                using var outbox = DurableOutbox.Open(new OutboxOptions { Directory = dir, SegmentBytes = 64 * 1024 });
                var onDisk = new List<OutboxEntry>();
                outbox.PeekBatch(int.MaxValue, onDisk);
                var bySeq = onDisk.ToDictionary(e => e.Sequence, e => Encoding.UTF8.GetString(e.Payload.Span));
                foreach ((long seq, string payload) in acked)
                {
                    Assert.True(bySeq.TryGetValue(seq, out string? stored), $"acknowledged sequence {seq} lost after kill -9 (round {round})");
                    Assert.Equal(payload, stored);
                }

                // Sequences on disk are gap-free and strictly increasing.
                Assert.Equal(Enumerable.Range(1, onDisk.Count).Select(i => (long)i), onDisk.Select(e => e.Sequence));
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task<List<(long Seq, string Payload)>> RunAndKillAsync(string dir, int killAfterAcks)
    {
        string assembly = typeof(OutboxKillTests).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(assembly);
        psi.ArgumentList.Add("outbox-append-child");
        psi.ArgumentList.Add(dir);
        using Process child = Process.Start(psi)!;
        var acks = new List<(long, string)>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (acks.Count < killAfterAcks)
            {
                string? line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                Assert.NotNull(line);
                string[] parts = line.Split(' ', 3);
                acks.Add((long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]));
            }
        }
        finally
        {
            // SIGKILL: no finalisers, no flush, no disposal.
            child.Kill();
            await child.WaitForExitAsync();
        }

        // Acks printed before the kill but not yet read are acknowledged too.
        string rest = await child.StandardOutput.ReadToEndAsync();
        // Only complete lines: the kill may have cut the last one.
        string complete = rest.Contains('\n', StringComparison.Ordinal) ? rest[..(rest.LastIndexOf('\n') + 1)] : "";
        foreach (string line in complete.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ', 3);
            if (parts.Length == 3 && parts[0] == "ack" && long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out long seq))
            {
                acks.Add((seq, parts[2]));
            }
        }

        return acks;
    }
}
