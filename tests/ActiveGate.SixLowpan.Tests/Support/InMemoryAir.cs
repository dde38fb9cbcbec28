using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ActiveGate.Ieee802154;

namespace ActiveGate.SixLowpan.Tests.Support;

/// <summary>A perfect shared medium for <see cref="IFrameLink"/>s: unicast reaches the addressee (or NoAck), broadcast everyone else.</summary>
internal sealed class InMemoryAir
{
    private readonly List<InMemoryFrameLink> _stations = [];

    public Func<byte[], FrameTransmitStatus?>? Interceptor { get; set; }

    public InMemoryFrameLink Attach(MacAddress address)
    {
        var link = new InMemoryFrameLink(this, address);
        lock (_stations)
        {
            _stations.Add(link);
        }

        return link;
    }

    internal FrameTransmitStatus Transmit(InMemoryFrameLink sender, byte[] mpdu)
    {
        if (Interceptor?.Invoke(mpdu) is { } forced)
        {
            return forced;
        }

        MacFrame frame = MacFrameCodec.Read(mpdu);
        InMemoryFrameLink[] stations;
        lock (_stations)
        {
            stations = [.. _stations];
        }

        bool delivered = false;
        foreach (InMemoryFrameLink station in stations)
        {
            if (station != sender && (frame.Header.Destination.IsBroadcast || frame.Header.Destination == station.Address))
            {
                station.Inject(mpdu);
                delivered = true;
            }
        }

        return delivered || frame.Header.Destination.IsBroadcast ? FrameTransmitStatus.Ok : FrameTransmitStatus.NoAck;
    }
}

internal sealed class InMemoryFrameLink : IFrameLink
{
    private readonly InMemoryAir _air;
    private readonly Channel<ReceivedFrame> _inbox = Channel.CreateUnbounded<ReceivedFrame>();

    public InMemoryFrameLink(InMemoryAir air, MacAddress address)
    {
        _air = air;
        Address = address;
    }

    public MacAddress Address { get; }

    public List<byte[]> Sent { get; } = [];

    public ValueTask<FrameTransmitStatus> SendFrameAsync(ReadOnlyMemory<byte> mpdu, CancellationToken cancellationToken)
    {
        byte[] copy = mpdu.ToArray();
        lock (Sent)
        {
            Sent.Add(copy);
        }

        return ValueTask.FromResult(_air.Transmit(this, copy));
    }

    public async IAsyncEnumerable<ReceivedFrame> ReceiveFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (ReceivedFrame frame in _inbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return frame;
        }
    }

    public void Inject(byte[] mpdu, sbyte? rssi = -60, byte? lqi = 200) =>
        _inbox.Writer.TryWrite(new ReceivedFrame(mpdu, DateTimeOffset.UtcNow, rssi, lqi));
}
