using System.Globalization;
using ActiveGate.Radio.Serial;
using ActiveGate.Radio.Tests.Support;

namespace ActiveGate.Radio.Tests.Serial;

/// <summary>The terminal stream on real pseudo-terminals (socat): bytes both ways, idle cost, unplug, dispose.</summary>
public sealed class TerminalStreamTests
{
    [Fact]
    public async Task Carries_bytes_both_ways_and_sleeps_while_the_line_is_quiet()
    {
        await using SocatPtyPair pty = await SocatPtyPair.CreateAsync();
        using var host = TerminalStream.Open(pty.HostPath, TimeSpan.FromSeconds(2));
        await using var radio = new FileStream(pty.RadioPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);

        byte[] toHost = [0xC0, 0x21, 0x4D, 0xDB, 0xDC, 0xC0];
        await radio.WriteAsync(toHost);
        await radio.FlushAsync();
        Assert.Equal(toHost, await ReadExactlyAsync(host, toHost.Length));

        byte[] toRadio = [0xC0, 0x3F, 0x4D, 0xC0];
        await host.WriteAsync(toRadio);
        byte[] got = new byte[toRadio.Length];
        await radio.ReadExactlyAsync(got).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(toRadio, got);

        // A read stays pending while the radio is quiet, as the link's always is. The reader thread must sleep in poll,
        // not wake a thousand times a second as System.IO.Ports' own stream does.
        var pending = host.ReadAsync(new byte[16]).AsTask();
        // pts numbers are reused: a reader thread of an earlier test's stream on the same number may still be exiting
        // under the same name. If the thread measured goes away, it was that one: look again.
        long woken = -1;
        for (int attempt = 0; attempt < 5 && woken < 0; attempt++)
        {
            try
            {
                string task = ReaderThread(pty.HostPath);
                long before = ContextSwitches(task);
                await Task.Delay(1000);
                woken = ContextSwitches(task) - before;
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
            {
            }
        }

        Assert.True(woken <= 5, $"the reader thread woke {woken} times in 1 s of silence");
        Assert.False(pending.IsCompleted);

        await radio.WriteAsync(new byte[] { 0x42 });
        await radio.FlushAsync();
        Assert.Equal(1, await pending.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Unplug_ends_a_pending_read_with_an_IOException()
    {
        SocatPtyPair pty = await SocatPtyPair.CreateAsync();
        using var host = TerminalStream.Open(pty.HostPath, TimeSpan.FromSeconds(2));
        Task<int> pending = host.ReadAsync(new byte[16]).AsTask();
        await pty.KillAsync();
        await Assert.ThrowsAnyAsync<IOException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        await pty.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_with_a_pending_read_returns_promptly()
    {
        await using SocatPtyPair pty = await SocatPtyPair.CreateAsync();
        var host = TerminalStream.Open(pty.HostPath, TimeSpan.FromSeconds(2));
        Task<int> pending = host.ReadAsync(new byte[16]).AsTask();
        Task dispose = Task.Run(host.Dispose);
        await dispose.WaitAsync(TimeSpan.FromSeconds(5));
        // The pending read ends too: end of stream, or the error of a read racing the close; never left hanging.
        Assert.Same(pending, await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(5))));
        if (pending.IsCompletedSuccessfully)
        {
            Assert.Equal(0, await pending);
        }
    }

    [Fact]
    public void A_missing_device_is_named_in_the_error()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => TerminalStream.Open("/dev/ttyNOPE-activegate", TimeSpan.FromSeconds(1)));
        Assert.Contains("/dev/ttyNOPE-activegate", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        return buffer;
    }

    /// <summary>The /proc task directory of the stream's reader thread (named "radio-rx &lt;device&gt;").</summary>
    private static string ReaderThread(string devicePath)
    {
        string name = ("radio-rx " + Path.GetFileName(devicePath))[..Math.Min(15, 9 + Path.GetFileName(devicePath).Length)];
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
            {
                return task;
            }
        }

        throw new InvalidOperationException($"no thread named '{name}'");
    }

    private static long ContextSwitches(string task)
    {
        long total = 0;
        foreach (string line in File.ReadLines(Path.Combine(task, "status")))
        {
            if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
            {
                total += long.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
