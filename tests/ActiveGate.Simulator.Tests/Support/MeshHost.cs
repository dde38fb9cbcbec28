using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Ieee802154;
using ActiveGate.Radio;
using ActiveGate.SixLowpan;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.Simulator.Tests.Support;

/// <summary>
/// What the agent will do on top of the radio link, done by hand with the colleagues' codecs: CoAP message →
/// IPv6/UDP → 6LoWPAN IPHC → 802.15.4 frame, and back. Enough for one-frame requests and responses.
/// </summary>
internal sealed class MeshHost(IRadioLink radio, ushort panId = 0xABCD)
{
    private readonly ContextTable _contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private byte _dsn;
    // Random like a real client: a restarted host must not hit the node's CoAP deduplication with old MIDs.
    private ushort _messageId = (ushort)Random.Shared.Next();

    public MacAddress Mac => MacAddress.FromExtended(radio.ExtendedAddress ?? throw new InvalidOperationException("radio not up"));

    public Ipv6Address LinkLocal => Ipv6Address.LinkLocal(Mac);

    public Ipv6Address Global => Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, Mac);

    /// <summary>Sends a request and follows Block2 until the whole representation is in.</summary>
    public async Task<CoapMessage> RequestAsync(ulong node, CoapCode method, string path, string? payload = null, bool global = false, int? accept = null)
    {
        CoapMessage response = await RequestOnceAsync(node, method, path, payload, global, accept, null);
        if (response.Block2 is not { More: true })
        {
            return response;
        }

        var body = new List<byte>(response.Payload.ToArray());
        BlockOption block = response.Block2.Value;
        Blocks = 1;
        while (block.More)
        {
            CoapMessage next = await RequestOnceAsync(node, method, path, payload, global, accept, new BlockOption(block.Number + 1, false, block.SizeExponent));
            body.AddRange(next.Payload.ToArray());
            block = next.Block2 ?? throw new InvalidOperationException("block missing");
            Blocks++;
        }

        response.Payload = body.ToArray();
        return response;
    }

    /// <summary>Blocks the last block-wise response took.</summary>
    public int Blocks { get; private set; }

    private Task<CoapMessage> RequestOnceAsync(ulong node, CoapCode method, string path, string? payload, bool global, int? accept, BlockOption? block2)
    {
        CoapMessage request = CoapMessage.CreateRequest(method);
        if (block2 is not null)
        {
            request.Block2 = block2;
        }

        return SendAsync(node, request, path, payload, global, accept);
    }

    /// <summary>Sends <paramref name="request"/> (token and MID filled in here) and returns the matching response.</summary>
    public async Task<CoapMessage> SendAsync(ulong node, CoapMessage request, string path, string? payload = null, bool global = false, int? accept = null)
    {
        request.MessageId = _messageId++;
        request.Token = CoapToken.NewRandom();
        request.UriPath = path;
        if (accept is int a)
        {
            request.Accept = a;
        }

        if (payload is not null)
        {
            request.Payload = System.Text.Encoding.UTF8.GetBytes(payload);
        }

        MacAddress nodeMac = MacAddress.FromExtended(node);
        Ipv6Address source = global ? Global : LinkLocal;
        Ipv6Address destination = global ? Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, nodeMac) : Ipv6Address.LinkLocal(nodeMac);
        byte[] ip = new byte[1280];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(source, destination, 61616, 5683, CoapMessageCodec.Encode(request), ip, out int ipLength));
        TxResult tx = await radio.TransmitAsync(Frame(ip.AsSpan(0, ipLength), nodeMac), CancellationToken.None);
        Assert.Equal(TxStatus.Ok, tx.Status);
        return await ReceiveCoapAsync(request.Token, destination);
    }

    /// <summary>Waits for the next CoAP message from <paramref name="from"/> carrying <paramref name="token"/>.</summary>
    public async Task<CoapMessage> ReceiveCoapAsync(CoapToken token, Ipv6Address from)
    {
        while (true)
        {
            (Ipv6PacketInfo info, byte[] datagram) = await ReceiveDatagramAsync();
            if (info.UpperLayerProtocol != IpProtocol.Udp)
            {
                continue;
            }

            ReadOnlySpan<byte> udp = datagram.AsSpan(info.UpperLayerOffset, info.UpperLayerLength);
            Assert.True(UdpHeader.TryRead(udp, out UdpHeader header));
            Assert.Equal(5683, header.SourcePort);
            Assert.Equal(61616, header.DestinationPort);
            Assert.True(InternetChecksum.Verify(info.Header.Source, info.Header.Destination, IpProtocol.Udp, udp), "UDP checksum");
            Assert.Equal(from, info.Header.Source);
            Assert.True(CoapMessageCodec.TryRead(udp[UdpHeader.Size..], out CoapMessage? response, out _));
            if (response!.Token.Equals(token))
            {
                return response;
            }
        }
    }

    public async Task<(byte Type, ushort Sequence)> PingAsync(ulong node, ushort sequence)
    {
        MacAddress nodeMac = MacAddress.FromExtended(node);
        Ipv6Address destination = Ipv6Address.LinkLocal(nodeMac);
        byte[] body = [0x12, 0x34, (byte)(sequence >> 8), (byte)sequence, .. "ping"u8];
        byte[] ip = new byte[256];
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(LinkLocal, destination, Icmpv6Type.EchoRequest, 0, body, ip, out int length));
        Assert.Equal(TxStatus.Ok, (await radio.TransmitAsync(Frame(ip.AsSpan(0, length), nodeMac), CancellationToken.None)).Status);
        (Ipv6PacketInfo info, byte[] datagram) = await ReceiveDatagramAsync();
        Assert.Equal(IpProtocol.Icmpv6, info.UpperLayerProtocol);
        Assert.True(Icmpv6Message.TryRead(datagram.AsSpan(info.UpperLayerOffset, info.UpperLayerLength), info.Header.Source, info.FinalDestination, out Icmpv6Message reply, out _));
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(reply.EchoData));
        return (reply.Type, reply.EchoSequence);
    }

    public byte[] Frame(ReadOnlySpan<byte> datagram, MacAddress destination)
    {
        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
        var frames = new Range[LowpanCodec.MaxFramesPerDatagram];
        MacHeader header = MacHeader.Data(panId, Mac, destination, _dsn++);
        Assert.Equal(LowpanError.None, LowpanCodec.TryEncode(datagram, header, _contexts, 1, output, frames, out int count));
        Assert.Equal(1, count);
        return output[frames[0]];
    }

    private async Task<(Ipv6PacketInfo Info, byte[] Datagram)> ReceiveDatagramAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        RadioFrame frame = await radio.ReceivedFrames.ReadAsync(timeout.Token);
        Assert.True(MacFrameCodec.TryReadHeader(frame.Mpdu.Span, out MacHeader mac, out int headerLength, out _));
        Assert.Equal(Mac, mac.Destination);
        byte[] datagram = new byte[1280];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(frame.Mpdu.Span[headerLength..], new LinkAddresses(mac.Source, mac.Destination), _contexts, datagram, out int length));
        Assert.True(Ipv6Packet.TryParse(datagram.AsSpan(0, length), out Ipv6PacketInfo info, out _));
        return (info, datagram[..length]);
    }
}
