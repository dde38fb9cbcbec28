using System.Diagnostics;
using System.Text;

namespace ActiveGate.Outbox.Tests;

/// <summary>
/// The outbox on a real, small file system (a 256 KiB tmpfs) that fills up: appends are refused with a counter while
/// the disk is full, the outbox recovers by itself when space returns, and nothing accepted is lost.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly string _mount = Path.Combine(Path.GetTempPath(), "ag-fulldisk-" + Guid.NewGuid().ToString("N"));

    public FullDiskTests()
    {
        Directory.CreateDirectory(_mount);
        Run("mount", $"-t tmpfs -o size=256k tmpfs {_mount}");
    }

    public void Dispose()
    {
        Run("umount", _mount);
        Directory.Delete(_mount);
    }

    private static void Run(string command, string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {arguments}: {process.StandardError.ReadToEnd()} (the test needs root for a tmpfs)");
    }

    private static byte[] P(int i) => Encoding.UTF8.GetBytes($"reading-{i:D6}-" + new string('x', 200));

    [Fact]
    public async Task A_full_disk_refuses_appends_with_a_count_and_the_outbox_recovers_when_space_returns()
    {
        var options = new OutboxOptions { Directory = Path.Combine(_mount, "outbox"), SegmentBytes = 16 * 1024 };
        string filler = Path.Combine(_mount, "filler");
        var accepted = new List<long>();
        using (var outbox = DurableOutbox.Open(options))
        {
            // Fill most of the disk with something else, then append until the disk is full.
            await File.WriteAllBytesAsync(filler, new byte[160 * 1024]);
            int refused = 0;
            for (int i = 1; i <= 2000 && refused < 20; i++)
            {
                try
                {
                    accepted.Add(await outbox.AppendAsync(P(i)));
                }
                catch (IOException)
                {
                    refused++;
                }
            }

            OutboxStats full = outbox.GetStats();
            Assert.True(refused >= 20, $"the disk never filled ({accepted.Count} accepted)");
            Assert.Equal(refused, full.Refused);
            Assert.NotNull(full.LastAppendError);

            // Space returns: appends work again without a restart, on a fresh segment.
            File.Delete(filler);
            for (int i = 5000; i < 5100; i++)
            {
                accepted.Add(await outbox.AppendAsync(P(i)));
            }

            var pending = new List<OutboxEntry>();
            outbox.PeekBatch(int.MaxValue, pending);
            Assert.Equal(accepted, pending.Select(e => e.Sequence));
        }

        // Everything accepted is there after a restart, in order, and nothing that was refused.
        using (var reopened = DurableOutbox.Open(options))
        {
            var pending = new List<OutboxEntry>();
            reopened.PeekBatch(int.MaxValue, pending);
            Assert.Equal(accepted, pending.Select(e => e.Sequence));
            Assert.Equal(0, reopened.GetStats().TruncatedBytesAtOpen);
        }
    }
}
