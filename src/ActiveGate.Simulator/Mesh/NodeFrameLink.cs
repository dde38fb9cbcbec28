using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ActiveGate.Ieee802154;
using ActiveGate.Radio;

namespace ActiveGate.Simulator.Mesh;

/// <summary>
/// A simulated node's radio: the <see cref="IFrameLink"/> its 6LoWPAN stack sends through, and the
/// <see cref="IAirStation"/> the air delivers to. Like a real radio it keeps FCS, CSMA and ACKs to itself.
/// </summary>
public sealed class NodeFrameLink : IFrameLink, IAirStation, IDisposable
{
    private readonly SimulatedAir _air;
    private readonly TimeProvider _time;
    private readonly Channel<ReceivedFrame> _received = System.Threading.Channels.Channel.CreateBounded<ReceivedFrame>(
        new BoundedChannelOptions(32) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    /// <summary>Creates the radio of a node on <paramref name="channel"/>.</summary>
    public NodeFrameLink(SimulatedAir air, ulong extendedAddress, int channel, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(air);
        _air = air;
        _time = timeProvider ?? TimeProvider.System;
        ExtendedAddress = extendedAddress;
        Channel = channel;
    }

    /// <inheritdoc />
    public ulong ExtendedAddress { get; }

    /// <inheritdoc />
    public int Channel { get; }

    /// <inheritdoc />
    public void Deliver(ReadOnlyMemory<byte> mpdu) => _received.Writer.TryWrite(new ReceivedFrame(mpdu, _time.GetUtcNow()));

    /// <inheritdoc />
    public async ValueTask<FrameTransmitStatus> SendFrameAsync(ReadOnlyMemory<byte> mpdu, CancellationToken cancellationToken)
    {
        TxResult result = await TransmitAsync(mpdu, cancellationToken).ConfigureAwait(false);
        return result.Status switch
        {
            TxStatus.Ok => FrameTransmitStatus.Ok,
            TxStatus.NoAck => FrameTransmitStatus.NoAck,
            TxStatus.Collision => FrameTransmitStatus.ChannelAccessFailure,
            _ => FrameTransmitStatus.Failed,
        };
    }

    /// <summary>Like <see cref="SendFrameAsync"/>, with the number of attempts (the link statistics ETX is made of).</summary>
    public async ValueTask<TxResult> TransmitAsync(ReadOnlyMemory<byte> mpdu, CancellationToken cancellationToken)
    {
        // One frame at a time and in call order, so fragments leave back to back.
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _air.TransmitAsync(this, mpdu, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ReceivedFrame> ReceiveFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (ReceivedFrame frame in _received.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return frame;
        }
    }

    /// <summary>Ends <see cref="ReceiveFramesAsync"/>.</summary>
    public void Dispose()
    {
        _received.Writer.TryComplete();
        _sendLock.Dispose();
    }
}
