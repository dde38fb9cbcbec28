using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ActiveGate.Ieee802154;
using ActiveGate.Radio.Capture;
using ActiveGate.Radio.Framing;
using ActiveGate.Radio.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Radio.SlipRadio;

/// <summary>
/// The host side of Contiki's slip-radio over any byte stream (serial port, TCP, test pipe).
/// </summary>
/// <remarks>
/// <para>One loop owns the stream: it opens it through the connector, asks <c>?M</c> every
/// <see cref="SlipRadioOptions.MacQueryInterval"/> until <c>!M</c> arrives, re-applies channel and PAN,
/// then reads and classifies SLIP frames until the stream fails or ends. It then fails whatever waits,
/// reports <see cref="RadioLinkState.Disconnected"/>, backs off exponentially (on the injected
/// <see cref="TimeProvider"/>) and opens the device again. Nothing the device sends can crash it.</para>
/// <para>Transmits are stop-and-wait: <c>!S sid</c>, then wait for <c>!R sid</c> or the per-frame
/// timeout; sids cycle 0..15 so a late report for an abandoned frame is recognised and counted.
/// Every packet written to the radio keeps <see cref="SlipRadioOptions.InterFrameGap"/> to the previous one.</para>
/// </remarks>
public class SlipRadioLink : IRadioLink
{
    private const int MaxMpduWithoutFcs = 125;

    private readonly IRadioStreamConnector _connector;
    private readonly SlipRadioOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IRadioFrameTap? _tap;
    private readonly Channel<RadioFrame> _received;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _txLock = new(1, 1);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<TxResult>?[] _pendingTx = new TaskCompletionSource<TxResult>?[SlipRadioCodec.SessionIdCount];
    private readonly Dictionary<RadioParameter, TaskCompletionSource<ushort>> _pendingParameters = [];
    private readonly long[] _errors = new long[Enum.GetValues<RadioErrorReason>().Length];
    private readonly Dictionary<TxStatus, long> _txStatusCounts = [];
    private readonly Queue<TxRecord> _txHistory = new();
    private readonly byte[][] _sendHeaders = CreateSendHeaders();

    private TaskCompletionSource _upSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RadioLinkState _state;
    private Stream? _stream;
    private Task? _runTask;
    private byte _nextSessionId;
    private long _lastWriteTimestamp;
    private bool _hasWritten;
    private int? _channel;
    private ushort? _panId;
    private ulong? _extendedAddress;
    private long _framesIn;
    private long _framesOut;
    private long _bytesIn;
    private long _bytesOut;
    private long _textLines;
    private long _connects;
    private int _disposed;

    /// <summary>Creates a link; nothing is opened before <see cref="InitializeAsync"/>.</summary>
    /// <param name="connector">Opens the byte stream to the radio, again after every disconnect.</param>
    /// <param name="options">Timing and limits; validated here.</param>
    /// <param name="timeProvider">Clock for timeouts, pacing and back-off; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Receives state changes, radio text and dropped-frame reasons.</param>
    /// <param name="tap">Optional capture of every frame in and out (see <see cref="PcapTap"/>).</param>
    public SlipRadioLink(IRadioStreamConnector connector, SlipRadioOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null, IRadioFrameTap? tap = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        options ??= new SlipRadioOptions();
        options.Validate();
        _connector = connector;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _tap = tap;
        _received = Channel.CreateBounded<RadioFrame>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full, so the drop is counted.
        });
    }

    /// <inheritdoc />
    public event EventHandler<RadioLinkStateChangedEventArgs>? StateChanged;

    /// <inheritdoc />
    public string Description => _connector.Description;

    /// <inheritdoc />
    public RadioLinkState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <inheritdoc />
    public ulong? ExtendedAddress
    {
        get
        {
            lock (_gate)
            {
                return _extendedAddress;
            }
        }
    }

    /// <inheritdoc />
    public ChannelReader<RadioFrame> ReceivedFrames => _received.Reader;

    /// <summary>Starts the connection loop (idempotent) without waiting for the radio.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            _runTask ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <inheritdoc />
    public async ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        Start();
        Task up;
        lock (_gate)
        {
            up = _upSignal.Task;
        }

        await up.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask SetChannelAsync(int channel, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channel, 11);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channel, 26);
        lock (_gate)
        {
            _channel = channel;
        }

        return SetAndConfirmAsync(RadioParameter.Channel, (ushort)channel, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SetPanIdAsync(ushort panId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _panId = panId;
        }

        return SetAndConfirmAsync(RadioParameter.PanId, panId, cancellationToken);
    }

    /// <summary>
    /// Reads a radio parameter with <c>?V</c>. Returns null when the radio does not answer in
    /// <see cref="SlipRadioOptions.ParameterReplyTimeout"/> (Contiki 3.0 firmware has no <c>?V</c>) or the link is down.
    /// </summary>
    public async ValueTask<ushort?> GetParameterAsync(RadioParameter parameter, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        TaskCompletionSource<ushort> reply;
        lock (_gate)
        {
            if (_state != RadioLinkState.Up)
            {
                return null;
            }

            if (!_pendingParameters.TryGetValue(parameter, out reply!))
            {
                reply = new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
                _pendingParameters[parameter] = reply;
            }
        }

        byte[] query = new byte[4];
        SlipRadioCodec.TryWriteParameterQuery(parameter, query, out _);
        try
        {
            await WriteMessageAsync(query, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            return await reply.Task.WaitAsync(_options.ParameterReplyTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or ObjectDisposedException or InvalidOperationException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            lock (_gate)
            {
                if (_pendingParameters.TryGetValue(parameter, out var current) && current == reply)
                {
                    _pendingParameters.Remove(parameter);
                }
            }

            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask<TxResult> TransmitAsync(ReadOnlyMemory<byte> mpduWithoutFcs, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (mpduWithoutFcs.Length is < 3 or > MaxMpduWithoutFcs)
        {
            throw new ArgumentOutOfRangeException(nameof(mpduWithoutFcs), mpduWithoutFcs.Length, "An MPDU without FCS is 3..125 bytes.");
        }

        await _txLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (State != RadioLinkState.Up)
            {
                return Record(mpduWithoutFcs.Length, new TxResult(TxStatus.LinkDown, 0));
            }

            byte sessionId = _nextSessionId;
            _nextSessionId = (byte)((sessionId + 1) % SlipRadioCodec.SessionIdCount);
            var report = new TaskCompletionSource<TxResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _pendingTx[sessionId] = report;
            }

            // The timer starts before the write so a radio that answers (or not) at once is always covered.
            using ITimer timeout = _time.CreateTimer(
                static state => ((TaskCompletionSource<TxResult>)state!).TrySetResult(new TxResult(TxStatus.Timeout, 0)),
                report,
                _options.TxStatusTimeout,
                Timeout.InfiniteTimeSpan);

            TxResult result;
            try
            {
                await WriteMessageAsync(_sendHeaders[sessionId], mpduWithoutFcs, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _framesOut);
                _tap?.OnFrame(RadioFrameDirection.Out, _time.GetUtcNow(), mpduWithoutFcs.Span);
                result = await report.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                result = new TxResult(TxStatus.LinkDown, 0);
            }
            finally
            {
                lock (_gate)
                {
                    if (_pendingTx[sessionId] == report)
                    {
                        _pendingTx[sessionId] = null;
                    }
                }
            }

            return Record(mpduWithoutFcs.Length, result);
        }
        finally
        {
            _txLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<FrameTransmitStatus> SendFrameAsync(ReadOnlyMemory<byte> mpdu, CancellationToken cancellationToken)
    {
        TxResult result = await TransmitAsync(mpdu, cancellationToken).ConfigureAwait(false);
        return ToFrameTransmitStatus(result.Status);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ReceivedFrame> ReceiveFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (RadioFrame frame in _received.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ReceivedFrame(frame.Mpdu, frame.Timestamp);
        }
    }

    /// <summary>Maps the link's status onto the mesh seam's coarser one.</summary>
    public static FrameTransmitStatus ToFrameTransmitStatus(TxStatus status) => status switch
    {
        TxStatus.Ok => FrameTransmitStatus.Ok,
        TxStatus.NoAck => FrameTransmitStatus.NoAck,
        TxStatus.Collision => FrameTransmitStatus.ChannelAccessFailure,
        _ => FrameTransmitStatus.Failed,
    };

    /// <inheritdoc />
    public RadioLinkStatistics GetStatistics()
    {
        var errors = new Dictionary<RadioErrorReason, long>();
        foreach (RadioErrorReason reason in Enum.GetValues<RadioErrorReason>())
        {
            long count = Interlocked.Read(ref _errors[(int)reason]);
            if (count != 0)
            {
                errors[reason] = count;
            }
        }

        lock (_gate)
        {
            return new RadioLinkStatistics
            {
                Description = Description,
                State = _state,
                ExtendedAddress = _extendedAddress,
                Channel = _channel,
                PanId = _panId,
                FramesIn = Interlocked.Read(ref _framesIn),
                FramesOut = Interlocked.Read(ref _framesOut),
                BytesIn = Interlocked.Read(ref _bytesIn),
                BytesOut = Interlocked.Read(ref _bytesOut),
                TextLines = Interlocked.Read(ref _textLines),
                Connects = Interlocked.Read(ref _connects),
                Errors = errors,
                TxStatuses = new Dictionary<TxStatus, long>(_txStatusCounts),
                LastTransmits = [.. _txHistory],
            };
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the loop (cancel first, then the stream is disposed), fails waiters, completes <see cref="ReceivedFrames"/>.</summary>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Task? run;
        lock (_gate)
        {
            run = _runTask;
        }

        if (run is not null)
        {
            await run.ConfigureAwait(false); // RunAsync never throws.
        }

        FailPending();
        _received.Writer.TryComplete();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        TimeSpan delay = _options.ReconnectInitialDelay;
        bool loggedOpenFailure = false;
        while (!stop.IsCancellationRequested)
        {
            SetState(RadioLinkState.Connecting, null);
            Stream stream;
            try
            {
                stream = await _connector.ConnectAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Count(RadioErrorReason.OpenFailed);
                if (!loggedOpenFailure)
                {
                    SlipRadioLinkLog.OpenFailed(_logger, Description, ex.Message);
                    loggedOpenFailure = true;
                }

                SetState(RadioLinkState.Disconnected, ex.Message);
                if (!await BackOffAsync(delay, stop).ConfigureAwait(false))
                {
                    break;
                }

                delay = NextDelay(delay);
                continue;
            }

            loggedOpenFailure = false;
            SlipRadioLinkLog.Opened(_logger, Description);
            (string reason, bool wasUp) = await RunSessionAsync(stream, stop).ConfigureAwait(false);
            if (stop.IsCancellationRequested)
            {
                break;
            }

            Count(RadioErrorReason.Disconnected);
            SlipRadioLinkLog.Disconnected(_logger, Description, reason);
            SetState(RadioLinkState.Disconnected, reason);
            if (wasUp)
            {
                delay = _options.ReconnectInitialDelay;
            }

            if (!await BackOffAsync(delay, stop).ConfigureAwait(false))
            {
                break;
            }

            delay = NextDelay(delay);
        }

        FailPending();
        SetState(RadioLinkState.Disconnected, "stopped");
    }

    private async Task<(string Reason, bool WasUp)> RunSessionAsync(Stream stream, CancellationToken stop)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
        PipeReader pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 512, minimumReadSize: 128, leaveOpen: true));
        var frames = new SlipFrameReader(pipe, _options.MaxFrameSize);
        lock (_gate)
        {
            _stream = stream;
            _hasWritten = false;
        }

        Task macQuery = Task.CompletedTask;
        string reason;
        try
        {
            // Like Contiki's host: a lone END first ends whatever partial frame the radio holds.
            await WriteMessageAsync(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, session.Token, endOnly: true).ConfigureAwait(false);
            macQuery = QueryMacUntilAnsweredAsync(session.Token);
            while (true)
            {
                SlipReadResult read = await frames.ReadAsync(session.Token).ConfigureAwait(false);
                if (read.Completed)
                {
                    reason = "end of stream";
                    break;
                }

                switch (read.Status)
                {
                    case SlipFrameStatus.Frame:
                        await HandleMessageAsync(read.Frame, session.Token).ConfigureAwait(false);
                        break;
                    case SlipFrameStatus.Oversized:
                        Count(RadioErrorReason.OversizedFrame);
                        SlipRadioLinkLog.Oversized(_logger, _options.MaxFrameSize);
                        break;
                    case SlipFrameStatus.InvalidEscape:
                        Count(RadioErrorReason.InvalidEscape);
                        SlipRadioLinkLog.InvalidEscape(_logger);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            reason = "stopped";
        }
        catch (Exception ex)
        {
            // IOException (EIO after unplug), ObjectDisposedException ("The port is closed"), and the like.
            reason = ex.Message;
        }

        bool wasUp;
        lock (_gate)
        {
            _stream = null;
            wasUp = _state == RadioLinkState.Up;
        }

        await session.CancelAsync().ConfigureAwait(false);
        FailPending();
        try
        {
            await macQuery.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The query loop ends with the session.
        }

        // Serial streams on Linux honour cancellation, so the read is over: now the stream can go.
        await pipe.CompleteAsync().ConfigureAwait(false);
        await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            SlipRadioLinkLog.CloseFailed(_logger, ex.Message);
        }
        finally
        {
            _writeLock.Release();
        }

        return (reason, wasUp);
    }

    private async Task QueryMacUntilAnsweredAsync(CancellationToken cancellationToken)
    {
        byte[] query = SlipRadioCodec.MacQuery.ToArray();
        while (!cancellationToken.IsCancellationRequested && State != RadioLinkState.Up)
        {
            await WriteMessageAsync(query, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            await Task.Delay(_options.MacQueryInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> span = message.Span;
        switch (SlipRadioCodec.Classify(span))
        {
            case SlipRadioMessageKind.MacAddress:
                if (SlipRadioCodec.TryParseMacAddress(span, out ulong eui64))
                {
                    await OnMacAddressAsync(eui64, cancellationToken).ConfigureAwait(false);
                }
                break;
            case SlipRadioMessageKind.TxReport:
                OnTxReport(span);
                break;
            case SlipRadioMessageKind.ParameterValue:
                if (SlipRadioCodec.TryParseParameterValue(span, out RadioParameter parameter, out ushort value))
                {
                    OnParameterValue(parameter, value);
                }
                break;
            case SlipRadioMessageKind.UnknownCommand:
                Count(RadioErrorReason.BadCommand);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    SlipRadioLinkLog.BadCommand(_logger, Convert.ToHexString(span));
                }
                break;
            case SlipRadioMessageKind.Query:
                break;
            case SlipRadioMessageKind.DebugLine:
            case SlipRadioMessageKind.Text:
                OnText(span);
                break;
            case SlipRadioMessageKind.Frame:
                OnFrame(span);
                break;
        }
    }

    private async ValueTask OnMacAddressAsync(ulong eui64, CancellationToken cancellationToken)
    {
        ulong? previous;
        bool wasUp;
        int? channel;
        ushort? panId;
        lock (_gate)
        {
            previous = _extendedAddress;
            _extendedAddress = eui64;
            wasUp = _state == RadioLinkState.Up;
            channel = _channel;
            panId = _panId;
        }

        if (previous is not null && previous != eui64)
        {
            SlipRadioLinkLog.Eui64Changed(_logger, RadioLinkStatistics.FormatEui64(previous.Value), RadioLinkStatistics.FormatEui64(eui64));
        }

        if (wasUp)
        {
            return; // An answer to a ?M sent just before the first one arrived.
        }

        // A replugged board has rebooted with its compile-time defaults: give it our settings back.
        byte[] command = new byte[6];
        if (channel is int ch)
        {
            SlipRadioCodec.TryWriteParameterValue(RadioParameter.Channel, (ushort)ch, command, out _);
            await WriteMessageAsync(command, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }

        if (panId is ushort pan)
        {
            command = new byte[6];
            SlipRadioCodec.TryWriteParameterValue(RadioParameter.PanId, pan, command, out _);
            await WriteMessageAsync(command, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _connects);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            SlipRadioLinkLog.Up(_logger, Description, RadioLinkStatistics.FormatEui64(eui64));
        }
        SetState(RadioLinkState.Up, null);
    }

    private void OnTxReport(ReadOnlySpan<byte> message)
    {
        if (!SlipRadioCodec.TryParseTxReport(message, out byte sessionId, out byte status, out byte transmissions))
        {
            return;
        }

        TaskCompletionSource<TxResult>? waiter = null;
        lock (_gate)
        {
            if (sessionId < _pendingTx.Length)
            {
                waiter = _pendingTx[sessionId];
                _pendingTx[sessionId] = null;
            }
        }

        if (waiter is null || !waiter.TrySetResult(new TxResult(SlipRadioCodec.ToTxStatus(status), transmissions)))
        {
            Count(RadioErrorReason.UnexpectedTxReport);
            SlipRadioLinkLog.UnexpectedTxReport(_logger, sessionId);
        }
    }

    private void OnParameterValue(RadioParameter parameter, ushort value)
    {
        TaskCompletionSource<ushort>? waiter;
        lock (_gate)
        {
            _pendingParameters.Remove(parameter, out waiter);
        }

        if (waiter is null)
        {
            SlipRadioLinkLog.ParameterValue(_logger, parameter, value);
            return;
        }

        waiter.TrySetResult(value);
    }

    private void OnText(ReadOnlySpan<byte> message)
    {
        Interlocked.Increment(ref _textLines);
        string text = System.Text.Encoding.ASCII.GetString(message).Trim('\r', '\n', '\0', ' ');
        if (text.StartsWith("EUnknown", StringComparison.Ordinal))
        {
            // Contiki's ?V handler falls through and answers "EUnknown command" after its !V: harmless.
            Count(RadioErrorReason.RadioError);
        }

        SlipRadioLinkLog.RadioText(_logger, text);
    }

    private void OnFrame(ReadOnlySpan<byte> mpdu)
    {
        if (!MpduSanityCheck.IsPlausible(mpdu))
        {
            Count(RadioErrorReason.InvalidFrame);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                SlipRadioLinkLog.InvalidFrame(_logger, mpdu.Length, Convert.ToHexString(mpdu));
            }
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        Interlocked.Increment(ref _framesIn);
        Interlocked.Add(ref _bytesIn, mpdu.Length);
        _tap?.OnFrame(RadioFrameDirection.In, now, mpdu);
        if (!_received.Writer.TryWrite(new RadioFrame(mpdu.ToArray(), now)))
        {
            Count(RadioErrorReason.ReceiveQueueFull);
        }
    }

    private async Task WriteMessageAsync(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken, bool endOnly = false)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SlipFramer.GetMaxEncodedLength(header.Length + payload.Length));
        try
        {
            int length = 1;
            buffer[0] = SlipFramer.End;
            if (!endOnly)
            {
                SlipFramer.TryEncode(header.Span, payload.Span, buffer, out length);
            }

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Stream stream;
                bool pace;
                long last;
                lock (_gate)
                {
                    stream = _stream ?? throw new InvalidOperationException("The radio is not connected.");
                    pace = _hasWritten;
                    last = _lastWriteTimestamp;
                }

                if (pace && _options.InterFrameGap > TimeSpan.Zero)
                {
                    TimeSpan wait = _options.InterFrameGap - _time.GetElapsedTime(last);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    }
                }

                await stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _bytesOut, length);
                lock (_gate)
                {
                    _lastWriteTimestamp = _time.GetTimestamp();
                    _hasWritten = true;
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask SetAndConfirmAsync(RadioParameter parameter, ushort value, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (State != RadioLinkState.Up)
        {
            return; // Remembered; applied as soon as the radio identifies itself.
        }

        byte[] command = new byte[6];
        SlipRadioCodec.TryWriteParameterValue(parameter, value, command, out _);
        try
        {
            await WriteMessageAsync(command, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return; // The link just went down; the value is re-applied on reconnect.
        }

        ushort? reported = await GetParameterAsync(parameter, cancellationToken).ConfigureAwait(false);
        if (reported is null)
        {
            SlipRadioLinkLog.NotConfirmed(_logger, parameter, value);
        }
        else if (reported != value)
        {
            throw new RadioLinkException($"The radio reports {parameter} = {reported} after it was set to {value}.");
        }
    }

    private TxResult Record(int length, TxResult result)
    {
        if (result.Status == TxStatus.Timeout)
        {
            Count(RadioErrorReason.TxTimeout);
        }
        else if (result.Status != TxStatus.Ok && result.Status != TxStatus.LinkDown)
        {
            Count(RadioErrorReason.TxFailed);
        }

        lock (_gate)
        {
            _txStatusCounts[result.Status] = _txStatusCounts.GetValueOrDefault(result.Status) + 1;
            _txHistory.Enqueue(new TxRecord(_time.GetUtcNow(), length, result));
            while (_txHistory.Count > _options.TxHistoryLength)
            {
                _txHistory.Dequeue();
            }
        }

        return result;
    }

    private void FailPending()
    {
        List<TaskCompletionSource<TxResult>> transmits = [];
        List<TaskCompletionSource<ushort>> parameters;
        lock (_gate)
        {
            for (int i = 0; i < _pendingTx.Length; i++)
            {
                if (_pendingTx[i] is { } waiter)
                {
                    transmits.Add(waiter);
                    _pendingTx[i] = null;
                }
            }

            parameters = [.. _pendingParameters.Values];
            _pendingParameters.Clear();
        }

        foreach (var waiter in transmits)
        {
            waiter.TrySetResult(new TxResult(TxStatus.LinkDown, 0));
        }

        foreach (var waiter in parameters)
        {
            waiter.TrySetCanceled();
        }
    }

    private void SetState(RadioLinkState state, string? reason)
    {
        RadioLinkState previous;
        lock (_gate)
        {
            previous = _state;
            if (previous == state)
            {
                return;
            }

            _state = state;
            if (state == RadioLinkState.Up)
            {
                _upSignal.TrySetResult();
            }
            else if (previous == RadioLinkState.Up)
            {
                _upSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        try
        {
            StateChanged?.Invoke(this, new RadioLinkStateChangedEventArgs(previous, state, reason));
        }
#pragma warning disable CA1031 // A subscriber's bug must not stop the radio loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SlipRadioLinkLog.StateHandlerFailed(_logger, ex);
        }
    }

    private async Task<bool> BackOffAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private TimeSpan NextDelay(TimeSpan delay)
    {
        TimeSpan next = delay * 2;
        return next > _options.ReconnectMaxDelay ? _options.ReconnectMaxDelay : next;
    }

    private void Count(RadioErrorReason reason) => Interlocked.Increment(ref _errors[(int)reason]);

    // One immutable "!S sid 0" header per session id, so a transmit does not allocate one.
    private static byte[][] CreateSendHeaders()
    {
        byte[][] headers = new byte[SlipRadioCodec.SessionIdCount][];
        for (int sid = 0; sid < headers.Length; sid++)
        {
            headers[sid] = new byte[SlipRadioCodec.SendHeaderLength];
            SlipRadioCodec.TryWriteSendHeader((byte)sid, headers[sid], out _);
        }

        return headers;
    }
}
