using ActiveGate.Ieee802154;
using ActiveGate.Ieee802154.Pcap;
using ActiveGate.Radio.Capture;
using ActiveGate.Radio.Serial;
using ActiveGate.Radio.SlipRadio;
using ActiveGate.Radio.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Radio.Tests.Serial;

/// <summary>
/// <see cref="SerialRadioLink"/> (System.IO.Ports) on a real socat pseudo-terminal pair against a scripted
/// radio on the other end.
/// </summary>
public sealed class SerialRadioLinkPtyTests
{
    private const ulong Eui64 = 0x00124B00060DB2A1UL;

    private static SerialRadioOptions Options(string port) => new()
    {
        Port = port,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        // Generous: the machine running the tests may be busy; tests that want a timeout set their own.
        TxStatusTimeout = TimeSpan.FromSeconds(3),
        ParameterReplyTimeout = TimeSpan.FromSeconds(1),
        InterFrameGap = TimeSpan.FromMilliseconds(2),
    };

    [Fact]
    public async Task Comes_up_on_mac_answer_then_sets_parameters_transmits_and_receives()
    {
        await using var pty = await SocatPtyPair.CreateAsync();
        await using var radio = ScriptedRadio.Open(pty.RadioPath);
        await using var link = new SerialRadioLink(Options(pty.HostPath));
        Assert.Equal($"{pty.HostPath}@115200", link.Description);

        Task init = link.InitializeAsync(CancellationToken.None).AsTask();
        await radio.AnswerMacQueryAsync(Eui64);
        await TestFrames.WithTimeout(init);
        Assert.Equal(RadioLinkState.Up, link.State);
        Assert.Equal(Eui64, link.ExtendedAddress);

        // Channel: !V set, then ?V read-back answered by the radio.
        Task setChannel = link.SetChannelAsync(26, CancellationToken.None).AsTask();
        Assert.Equal("21560001001A", Convert.ToHexString(await radio.ReadFrameAsync()));
        Assert.Equal("3F560001", Convert.ToHexString(await radio.ReadFrameAsync()));
        await radio.SendAsync(Convert.FromHexString("21560001001A"));
        await TestFrames.WithTimeout(setChannel);

        // Transmit: !S sid 0 + MPDU, answered with !R sid OK 1.
        Task<TxResult> tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        byte[] send = await radio.ReadFrameAsync();
        Assert.Equal("2153", Convert.ToHexString(send, 0, 2));
        Assert.Equal(0, send[3]); // no attributes
        Assert.Equal(TestFrames.Unicast, send[4..]);
        await radio.SendAsync((byte)'!', (byte)'R', send[2], 0, 1);
        Assert.Equal(new TxResult(TxStatus.Ok, 1), await TestFrames.WithTimeout(tx));

        // A second transmit uses the next sid; a NoAck report after 3 tries is passed through.
        tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        byte[] second = await radio.ReadFrameAsync();
        Assert.Equal((send[2] + 1) % 16, second[2]);
        await radio.SendAsync((byte)'!', (byte)'R', second[2], 2, 3);
        Assert.Equal(new TxResult(TxStatus.NoAck, 3), await TestFrames.WithTimeout(tx));

        // Receive: a raw frame containing bytes that need SLIP escaping.
        byte[] incoming = [.. TestFrames.Broadcast, 0xC0, 0xDB];
        await radio.SendAsync(incoming);
        RadioFrame frame = await TestFrames.WithTimeout(link.ReceivedFrames.ReadAsync().AsTask());
        Assert.Equal(incoming, frame.Mpdu.ToArray());

        RadioLinkStatistics stats = link.GetStatistics();
        Assert.Equal(26, stats.Channel);
        Assert.Equal(2, stats.FramesOut);
        Assert.Equal(1, stats.FramesIn);
        Assert.Equal([TxStatus.Ok, TxStatus.NoAck], stats.LastTransmits.Select(t => t.Result.Status));
        Assert.Equal(1, stats.TxStatuses[TxStatus.NoAck]);
        Assert.Equal(1, stats.Errors[RadioErrorReason.TxFailed]);
    }

    [Fact]
    public async Task Garbage_oversized_and_truncated_frames_are_counted_and_dropped_and_the_link_keeps_running()
    {
        await using var pty = await SocatPtyPair.CreateAsync();
        await using var radio = ScriptedRadio.Open(pty.RadioPath);
        SerialRadioOptions options = Options(pty.HostPath);
        options.MaxFrameSize = 140;
        await using var link = new SerialRadioLink(options);
        Task init = link.InitializeAsync(CancellationToken.None).AsTask();
        await radio.AnswerMacQueryAsync(Eui64);
        await TestFrames.WithTimeout(init);

        await radio.SendRawAsync([0xC0, 0x01, 0xDB, 0x7F, 0x02, 0xC0]); // undefined escape
        await radio.SendAsync([.. Enumerable.Repeat((byte)0xA5, 400)]); // oversized
        await radio.SendAsync(TestFrames.Unicast[..9]); // truncated: cut inside the destination address
        await radio.SendAsync([0x61, 0x04]); // shorter than FCF + DSN
        await radio.SendAsync("\rslip-radio: debug line\n"u8.ToArray());
        await radio.SendAsync("EUnknown command"u8.ToArray());
        await radio.SendAsync((byte)'!', (byte)'Z', 1); // unknown command
        await radio.SendAsync((byte)'!', (byte)'R', 9, 0, 1); // report nobody waits for
        await radio.SendRawAsync([0x00, 0x80, 0xC0]); // line noise between frames
        await radio.SendAsync(TestFrames.Broadcast);

        RadioFrame frame = await TestFrames.WithTimeout(link.ReceivedFrames.ReadAsync().AsTask());
        Assert.Equal(TestFrames.Broadcast, frame.Mpdu.ToArray());
        Assert.False(link.ReceivedFrames.TryRead(out _));

        RadioLinkStatistics stats = link.GetStatistics();
        Assert.Equal(RadioLinkState.Up, stats.State);
        Assert.Equal(1, stats.Errors[RadioErrorReason.InvalidEscape]);
        Assert.Equal(1, stats.Errors[RadioErrorReason.OversizedFrame]);
        Assert.Equal(3, stats.Errors[RadioErrorReason.InvalidFrame]);
        Assert.Equal(1, stats.Errors[RadioErrorReason.BadCommand]);
        Assert.Equal(1, stats.Errors[RadioErrorReason.RadioError]);
        Assert.Equal(1, stats.Errors[RadioErrorReason.UnexpectedTxReport]);
        Assert.Equal(2, stats.TextLines);
        Assert.Equal(1, stats.FramesIn);

        // And it still transmits.
        Task<TxResult> tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        byte[] send = await radio.ReadFrameAsync(f => f[0] == '!' && f[1] == 'S');
        await radio.SendAsync((byte)'!', (byte)'R', send[2], 0, 1);
        Assert.Equal(TxStatus.Ok, (await TestFrames.WithTimeout(tx)).Status);
    }

    [Fact]
    public async Task Unplug_reports_disconnected_and_replug_resumes_with_the_same_settings()
    {
        await using var pty = await SocatPtyPair.CreateAsync();
        var radio = ScriptedRadio.Open(pty.RadioPath);
        SerialRadioOptions options = Options(pty.HostPath);
        options.TxStatusTimeout = TimeSpan.FromSeconds(5); // the unplug, not the timeout, must end the transmit
        await using var link = new SerialRadioLink(options);
        var states = new List<RadioLinkState>();
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        link.StateChanged += (_, e) =>
        {
            lock (states)
            {
                states.Add(e.Current);
            }

            if (e.Current == RadioLinkState.Disconnected)
            {
                disconnected.TrySetResult();
            }
        };

        Task init = link.InitializeAsync(CancellationToken.None).AsTask();
        await radio.AnswerMacQueryAsync(Eui64);
        await TestFrames.WithTimeout(init);
        await link.SetPanIdAsync(0xABCD, CancellationToken.None); // not confirmed: times out quietly
        Assert.Equal("21560002ABCD", Convert.ToHexString(await radio.ReadFrameAsync()));

        // A transmit in flight when the device vanishes completes as LinkDown.
        Task<TxResult> pending = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        await radio.ReadFrameAsync(f => f[0] == '!' && f[1] == 'S');

        await radio.DisposeAsync();
        var unplugged = System.Diagnostics.Stopwatch.StartNew();
        await pty.KillAsync(); // unplug
        await TestFrames.WithTimeout(disconnected.Task);
        Assert.True(unplugged.Elapsed < TimeSpan.FromSeconds(2), $"unplug noticed after {unplugged.Elapsed}");
        Assert.Equal(TxStatus.LinkDown, (await TestFrames.WithTimeout(pending)).Status);
        Assert.Equal(TxStatus.LinkDown, (await link.TransmitAsync(TestFrames.Unicast, CancellationToken.None)).Status);

        // Let it fail to reopen a few times, then plug the device back in at the same path.
        await TestFrames.WaitUntilAsync(() => link.GetStatistics().Errors.GetValueOrDefault(RadioErrorReason.OpenFailed) >= 2);
        await pty.StartAsync();
        await using var replugged = ScriptedRadio.Open(pty.RadioPath);
        await replugged.AnswerMacQueryAsync(Eui64);
        // The rebooted radio gets the PAN id back before anything else.
        Assert.Equal("21560002ABCD", Convert.ToHexString(await replugged.ReadFrameAsync()));
        await TestFrames.WithTimeout(link.InitializeAsync(CancellationToken.None).AsTask());

        Task<TxResult> tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        byte[] send = await replugged.ReadFrameAsync(f => f[0] == '!' && f[1] == 'S');
        await replugged.SendAsync((byte)'!', (byte)'R', send[2], 0, 1);
        Assert.Equal(TxStatus.Ok, (await TestFrames.WithTimeout(tx)).Status);

        RadioLinkStatistics stats = link.GetStatistics();
        Assert.Equal(2, stats.Connects);
        Assert.Equal(1, stats.Errors[RadioErrorReason.Disconnected]);
        lock (states)
        {
            Assert.Equal(RadioLinkState.Up, states[^1]);
            Assert.Contains(RadioLinkState.Disconnected, states);
        }
    }

    [Fact]
    public async Task Device_absent_at_start_is_retried_until_it_appears()
    {
        var pty = new SocatPtyPair();
        await using (pty)
        {
            await using var link = new SerialRadioLink(Options(pty.HostPath));
            Task init = link.InitializeAsync(CancellationToken.None).AsTask();
            await TestFrames.WaitUntilAsync(() => link.GetStatistics().Errors.GetValueOrDefault(RadioErrorReason.OpenFailed) >= 2);
            Assert.Equal(RadioLinkState.Disconnected, link.State);
            Assert.False(init.IsCompleted);

            await pty.StartAsync();
            await using var radio = ScriptedRadio.Open(pty.RadioPath);
            await radio.AnswerMacQueryAsync(Eui64);
            await TestFrames.WithTimeout(init);
            Assert.Equal(Eui64, link.ExtendedAddress);
        }
    }

    [Fact]
    public async Task Missing_tx_report_times_out_and_the_late_report_is_counted()
    {
        await using var pty = await SocatPtyPair.CreateAsync();
        await using var radio = ScriptedRadio.Open(pty.RadioPath);
        SerialRadioOptions options = Options(pty.HostPath);
        options.TxStatusTimeout = TimeSpan.FromMilliseconds(300);
        await using var link = new SerialRadioLink(options);
        Task init = link.InitializeAsync(CancellationToken.None).AsTask();
        await radio.AnswerMacQueryAsync(Eui64);
        await TestFrames.WithTimeout(init);

        Task<TxResult> tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
        byte[] send = await radio.ReadFrameAsync(f => f[0] == '!' && f[1] == 'S');
        Assert.Equal(new TxResult(TxStatus.Timeout, 0), await TestFrames.WithTimeout(tx));

        await radio.SendAsync((byte)'!', (byte)'R', send[2], 0, 1); // too late
        await TestFrames.WaitUntilAsync(() => link.GetStatistics().Errors.GetValueOrDefault(RadioErrorReason.UnexpectedTxReport) == 1);
        Assert.Equal(1, link.GetStatistics().Errors[RadioErrorReason.TxTimeout]);
    }

    [Fact]
    public async Task Mac_query_repeats_every_interval_until_answered()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T20:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var pty = await SocatPtyPair.CreateAsync();
        await using var radio = ScriptedRadio.Open(pty.RadioPath);
        SerialRadioOptions options = Options(pty.HostPath);
        options.InterFrameGap = TimeSpan.Zero;
        await using var link = new SerialRadioLink(options, time);
        Task init = link.InitializeAsync(CancellationToken.None).AsTask();

        await radio.ReadFrameAsync(f => f is [(byte)'?', (byte)'M']);
        Assert.False(radio.TryReadFrame(out _)); // nothing more until a second has passed

        // Advance the fake clock until the link repeats its query (its timer may not be armed yet).
        Task<byte[]> second = radio.ReadFrameAsync(f => f is [(byte)'?', (byte)'M']);
        int advances = 0;
        while (!second.IsCompleted && advances < 200)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            advances++;
            await Task.WhenAny(second, Task.Delay(20));
        }

        await second;
        Assert.InRange(advances, 10, 30); // about one second of fake time, not earlier
        Assert.False(init.IsCompleted);

        await radio.SendMacAsync(Eui64);
        await TestFrames.WithTimeout(init);
    }

    [Fact]
    public async Task Pcap_tap_records_frames_in_and_out_with_a_valid_fcs()
    {
        string file = Path.Combine(Path.GetTempPath(), $"ag-tap-{Guid.NewGuid():N}.pcap");
        try
        {
            await using var pty = await SocatPtyPair.CreateAsync();
            await using var radio = ScriptedRadio.Open(pty.RadioPath);
            using (PcapTap tap = PcapTap.Open(file, PcapLinkType.Ieee802154WithFcs))
            {
                await using var link = new SerialRadioLink(Options(pty.HostPath), tap: tap);
                Task init = link.InitializeAsync(CancellationToken.None).AsTask();
                await radio.AnswerMacQueryAsync(Eui64);
                await TestFrames.WithTimeout(init);

                Task<TxResult> tx = link.TransmitAsync(TestFrames.Unicast, CancellationToken.None).AsTask();
                byte[] send = await radio.ReadFrameAsync(f => f[0] == '!' && f[1] == 'S');
                await radio.SendAsync((byte)'!', (byte)'R', send[2], 0, 1);
                await tx;
                await radio.SendAsync(TestFrames.Broadcast);
                await link.ReceivedFrames.ReadAsync();
                Assert.Equal(2, tap.FramesWritten);
            }

            using var reader = new PcapReader(File.OpenRead(file));
            Assert.Equal(PcapLinkType.Ieee802154WithFcs, reader.LinkType);
            var records = reader.ReadAll().ToList();
            Assert.Equal(2, records.Count);
            Assert.Equal(TestFrames.Unicast, records[0].Data[..^2].ToArray());
            Assert.Equal(TestFrames.Broadcast, records[1].Data[..^2].ToArray());
            Assert.All(records, r => Assert.True(Fcs.Verify(r.Data.Span)));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
