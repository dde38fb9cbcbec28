using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using ActiveGate.Radio;
using ActiveGate.Radio.Framing;
using ActiveGate.Radio.SlipRadio;
using ActiveGate.Simulator.Mesh;
using ActiveGate.Simulator.Pty;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Simulator.RadioBoard;

/// <summary>
/// Plays the radio board running Contiki's slip-radio on the master side of a pseudo-terminal:
/// answers <c>?M</c> with its EUI-64, keeps channel and PAN from <c>!V</c>, answers <c>?V</c>, puts each
/// <c>!S</c> frame on the simulated air and reports <c>!R sid status tx</c>, and writes frames heard
/// from the nodes to the host as raw SLIP frames (leading and trailing END, like the firmware).
/// </summary>
public sealed class SimulatedRadioBoard : IAirStation
{
    private readonly PseudoTerminal _pty;
    private readonly SimulatedAir _air;
    private readonly ILogger _logger;
    private readonly Channel<(byte Sid, byte[] Mpdu)> _transmitQueue = System.Threading.Channels.Channel.CreateBounded<(byte, byte[])>(8);
    private readonly Lock _gate = new();
    private int _channel;
    private ushort _panId;

    /// <summary>Creates the board; <see cref="RunAsync"/> starts it.</summary>
    public SimulatedRadioBoard(PseudoTerminal pty, SimulatedAir air, ulong extendedAddress, int channel = 26, ushort panId = 0xABCD, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pty);
        ArgumentNullException.ThrowIfNull(air);
        _pty = pty;
        _air = air;
        ExtendedAddress = extendedAddress;
        _channel = channel;
        _panId = panId;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public ulong ExtendedAddress { get; }

    /// <inheritdoc />
    public int Channel
    {
        get
        {
            lock (_gate)
            {
                return _channel;
            }
        }
    }

    /// <summary>PAN id last set by the host.</summary>
    public ushort PanId
    {
        get
        {
            lock (_gate)
            {
                return _panId;
            }
        }
    }

    /// <summary>
    /// Emulate the real firmware's warts: its <c>?V</c> handler falls through and also answers
    /// <c>EUnknown command</c>, and a Contiki 3.0 build prints a <c>'\r'</c> debug line per frame.
    /// </summary>
    public bool Quirks { get; init; }

    /// <summary>Frames the host asked to send.</summary>
    public long FramesFromHost { get; private set; }

    /// <summary>Frames written to the host.</summary>
    public long FramesToHost { get; private set; }

    /// <summary>Number of <c>?M</c> queries answered.</summary>
    public long MacQueries { get; private set; }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        Task pump = Task.Factory.StartNew(
            () => PumpPty(pipe.Writer, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Task transmitter = TransmitLoopAsync(cancellationToken);
        var reader = new SlipFrameReader(pipe.Reader, 256);
        try
        {
            while (true)
            {
                SlipReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (read.Completed)
                {
                    break;
                }

                if (read.Status == SlipFrameStatus.Frame)
                {
                    await HandleAsync(read.Frame, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _transmitQueue.Writer.TryComplete();
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            await Task.WhenAll(pump, transmitter).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Deliver(ReadOnlyMemory<byte> mpdu)
    {
        // The firmware's slipnet_input: raw MPDU, no FCS, no prefix.
        WriteSlip(ReadOnlySpan<byte>.Empty, mpdu.Span);
        lock (_gate)
        {
            FramesToHost++;
        }
    }

    private async ValueTask HandleAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> span = message.Span;
        if (span.SequenceEqual("?M"u8))
        {
            Span<byte> reply = stackalloc byte[10];
            SlipRadioCodec.TryWriteMacAddress(ExtendedAddress, reply, out int n);
            WriteSlip(reply[..n], []);
            lock (_gate)
            {
                MacQueries++;
            }

            return;
        }

        if (SlipRadioCodec.TryParseSend(span, out byte sid, out ReadOnlySpan<byte> mpdu))
        {
            lock (_gate)
            {
                FramesFromHost++;
            }

            await _transmitQueue.Writer.WriteAsync((sid, mpdu.ToArray()), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (SlipRadioCodec.TryParseParameterValue(span, out RadioParameter parameter, out ushort value))
        {
            lock (_gate)
            {
                if (parameter == RadioParameter.Channel && value is >= 11 and <= 26)
                {
                    _channel = value;
                }
                else if (parameter == RadioParameter.PanId)
                {
                    _panId = value;
                }
            }

            SimulatorLog.ParameterSet(_logger, parameter, value);
            return;
        }

        if (SlipRadioCodec.TryParseParameterQuery(span, out parameter))
        {
            ushort current = parameter == RadioParameter.Channel ? (ushort)Channel : PanId;
            Span<byte> reply = stackalloc byte[6];
            SlipRadioCodec.TryWriteParameterValue(parameter, current, reply, out int n);
            WriteSlip(reply[..n], []);
            if (Quirks)
            {
                WriteSlip("EUnknown command"u8, []);
            }

            return;
        }

        // What the firmware answers to anything it does not know.
        WriteSlip("EUnknown command"u8, []);
    }

    private async Task TransmitLoopAsync(CancellationToken cancellationToken)
    {
        byte[] report = new byte[5];
        try
        {
            await foreach ((byte sid, byte[] mpdu) in _transmitQueue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                TxResult result = await _air.TransmitAsync(this, mpdu, cancellationToken).ConfigureAwait(false);
                if (Quirks)
                {
                    WriteSlip(System.Text.Encoding.ASCII.GetBytes($"\rslip-radio: sent {mpdu.Length} bytes, sid {sid}\n"), []);
                }

                TxStatus status = result.Status is TxStatus.Timeout or TxStatus.LinkDown or TxStatus.Unknown ? TxStatus.Error : result.Status;
                SlipRadioCodec.TryWriteTxReport(sid, status, (byte)Math.Min(255, result.Transmissions), report, out int n);
                WriteSlip(report.AsSpan(0, n), []);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void PumpPty(PipeWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Span<byte> buffer = writer.GetSpan(512);
                int n = _pty.Read(buffer, TimeSpan.FromMilliseconds(100));
                if (n > 0)
                {
                    writer.Advance(n);
                    FlushResult flush = writer.FlushAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
                    if (flush.IsCompleted)
                    {
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException ex)
        {
            SimulatorLog.PtyFailed(_logger, ex.Message);
        }
        finally
        {
            writer.Complete();
        }
    }

    private void WriteSlip(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(SlipFramer.GetMaxEncodedLength(header.Length + payload.Length));
        try
        {
            SlipFramer.TryEncode(header, payload, buffer, out int length);
            _pty.Write(buffer.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            SimulatorLog.PtyFailed(_logger, ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
