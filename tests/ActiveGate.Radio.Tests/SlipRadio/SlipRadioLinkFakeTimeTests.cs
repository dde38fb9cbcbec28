using ActiveGate.Radio.SlipRadio;
using ActiveGate.Radio.Tests.Support;
using ActiveGate.Radio.Transport;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Radio.Tests.SlipRadio;

/// <summary>Timing of <see cref="SlipRadioLink"/> on a <see cref="FakeTimeProvider"/> over in-memory streams.</summary>
public sealed class SlipRadioLinkFakeTimeTests
{
    [Fact]
    public async Task Reopening_backs_off_exponentially_up_to_the_cap()
    {
        var time = new FakeTimeProvider();
        var attempts = new List<TimeSpan>();
        var attempted = new SemaphoreSlim(0);
        DateTimeOffset start = time.GetUtcNow();
        var connector = new DelegateStreamConnector("nowhere", _ =>
        {
            lock (attempts)
            {
                attempts.Add(time.GetUtcNow() - start);
            }

            attempted.Release();
            throw new FileNotFoundException("no such device");
        });
        var options = new SlipRadioOptions { ReconnectInitialDelay = TimeSpan.FromMilliseconds(500), ReconnectMaxDelay = TimeSpan.FromSeconds(5) };
        await using var link = new SlipRadioLink(connector, options, time);
        link.Start();

        Assert.True(await attempted.WaitAsync(TimeSpan.FromSeconds(5)));
        for (int i = 0; i < 6; i++)
        {
            // Step the clock until the next attempt shows up (the back-off timer may not be armed yet).
            Task<bool> next = attempted.WaitAsync(TimeSpan.FromSeconds(5));
            while (!next.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
                await Task.WhenAny(next, Task.Delay(5));
            }

            Assert.True(await next);
        }

        TimeSpan[] gaps;
        lock (attempts)
        {
            gaps = [.. attempts.Zip(attempts.Skip(1), (a, b) => b - a)];
        }

        // The clock moves in 100 ms steps and a step may pass before the back-off timer is armed.
        int[] expected = [500, 1000, 2000, 4000, 5000, 5000];
        Assert.Equal(expected.Length, gaps.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.InRange(gaps[i].TotalMilliseconds, expected[i], expected[i] + 200);
        }
        Assert.Equal(RadioLinkState.Disconnected, link.State);
        Assert.Equal(7, link.GetStatistics().Errors[RadioErrorReason.OpenFailed]);
    }

    [Fact]
    public async Task Transmit_reports_timeout_exactly_when_the_status_timeout_expires()
    {
        var time = new FakeTimeProvider();
        (DuplexPipeStream host, DuplexPipeStream radioEnd) = DuplexPipeStream.CreatePair();
        var options = new SlipRadioOptions { InterFrameGap = TimeSpan.Zero, TxStatusTimeout = TimeSpan.FromMilliseconds(400) };
        await using var link = new SlipRadioLink(new DelegateStreamConnector("memory", _ => ValueTask.FromResult<Stream>(host)), options, time);
        Task init = link.InitializeAsync(CancellationToken.None).AsTask();
        byte[] buffer = new byte[64];
        await radioEnd.ReadAtLeastAsync(buffer, 5); // END ?M END
        await radioEnd.WriteAsync(Convert.FromHexString("C0214D00124B00060DB2A1C0"));
        await init.WaitAsync(TimeSpan.FromSeconds(5));

        Task<TxResult> tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        await radioEnd.ReadAtLeastAsync(buffer, 4 + TestFrames.Unicast.Length); // the !S frame is out: the timer runs
        time.Advance(TimeSpan.FromMilliseconds(399));
        await Task.Delay(50);
        Assert.False(tx.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new TxResult(TxStatus.Timeout, 0), await tx.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, link.GetStatistics().Errors[RadioErrorReason.TxTimeout]);
    }

    [Fact]
    public async Task Packets_to_the_radio_keep_the_inter_frame_gap()
    {
        var time = new FakeTimeProvider();
        TimeSpan gap = TimeSpan.FromMilliseconds(31);
        (DuplexPipeStream host, DuplexPipeStream radioEnd) = DuplexPipeStream.CreatePair();
        var options = new SlipRadioOptions { InterFrameGap = gap, TxStatusTimeout = TimeSpan.FromHours(1) };
        await using var link = new SlipRadioLink(new DelegateStreamConnector("memory", _ => ValueTask.FromResult<Stream>(host)), options, time);
        Task init = link.InitializeAsync(CancellationToken.None).AsTask();
        byte[] buffer = new byte[256];
        Assert.Equal(1, await radioEnd.ReadAsync(buffer)); // the lone END goes out at once
        Task<int> query = radioEnd.ReadAsync(buffer).AsTask();
        await Task.Delay(50);
        Assert.False(query.IsCompleted, "?M must wait for the gap after the END");
        time.Advance(gap);
        await query.WaitAsync(TimeSpan.FromSeconds(5));
        await radioEnd.WriteAsync(Convert.FromHexString("C0214D00124B00060DB2A1C0"));
        await init.WaitAsync(TimeSpan.FromSeconds(5));

        time.Advance(gap);
        Task<TxResult> first = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        int n = await radioEnd.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        byte sid = buffer[3];
        await radioEnd.WriteAsync(new byte[] { 0xC0, (byte)'!', (byte)'R', sid, 0, 1, 0xC0 });
        Assert.Equal(TxStatus.Ok, (await first.WaitAsync(TimeSpan.FromSeconds(5))).Status);

        Task<TxResult> second = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        Task<int> secondBytes = radioEnd.ReadAsync(buffer).AsTask();
        await Task.Delay(50);
        Assert.False(secondBytes.IsCompleted, "the second !S left before the gap");
        time.Advance(gap - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.False(secondBytes.IsCompleted, "the second !S left before the gap");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await secondBytes.WaitAsync(TimeSpan.FromSeconds(5)) > 4);
        Assert.False(second.IsCompleted);
        Assert.True(n > 4);
    }
}
