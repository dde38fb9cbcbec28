using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using BenchmarkDotNet.Attributes;

namespace ActiveGate.Lowpan.Benchmarks;

/// <summary>
/// IPHC + NHC-UDP compression and decompression of a typical CoAP request frame (CON GET
/// /sensors/power between two context-0 mesh addresses, as the agent sends to a plug).
/// Goal: at least 1 M frames/s per core and 0 B allocated per frame.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FramesPerSecondConfig))]
public class IphcBenchmarks
{
    private static readonly MacAddress s_root = MacAddress.FromExtended(0x00124B0001020304);
    private static readonly MacAddress s_plug = MacAddress.FromExtended(0x00124B00060DB2A1);

    private readonly ContextTable _contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private readonly byte[] _compressed = new byte[256];
    private readonly byte[] _decompressed = new byte[1280];
    private readonly byte[] _frames = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
    private readonly Range[] _ranges = new Range[LowpanCodec.MaxFramesPerDatagram];
    private byte[] _datagram = [];
    private byte[] _lowpan = [];
    private byte[] _mpdu = [];
    private LinkAddresses _link;
    private MacHeader _mac;

    [GlobalSetup]
    public void Setup()
    {
        // CoAP: CON GET, MID 0x1234, token beef, Uri-Path "sensors" / "power".
        byte[] coap = Convert.FromHexString("42011234beefb773656e736f727305706f776572");
        _datagram = new byte[128];
        Ipv6PacketBuilder.TryWriteUdp(
            Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, s_root),
            Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, s_plug),
            5683,
            5683,
            coap,
            _datagram,
            out int length);
        _datagram = _datagram[..length];
        _link = new LinkAddresses(s_root, s_plug);
        _mac = MacHeader.Data(0xabcd, s_root, s_plug, 1);

        IphcCompressor.TryCompress(_datagram, _link, _contexts, _compressed, out IphcCompressResult result);
        _lowpan = [.. _compressed.AsSpan(0, result.BytesWritten), .. _datagram.AsSpan(result.DatagramBytesConsumed)];
        LowpanCodec.TryEncode(_datagram, _mac, _contexts, 1, _frames, _ranges, out _);
        _mpdu = _frames[_ranges[0]];
    }

    /// <summary>IPHC + NHC-UDP header compression (the payload copy is not included).</summary>
    [Benchmark]
    public int Compress()
    {
        IphcCompressor.TryCompress(_datagram, _link, _contexts, _compressed, out IphcCompressResult result);
        return result.BytesWritten;
    }

    /// <summary>Decoding a 6LoWPAN payload into the full IPv6 datagram (headers and payload copy).</summary>
    [Benchmark]
    public int Decompress()
    {
        LowpanCodec.TryDecode(_lowpan, _link, _contexts, _decompressed, out int length);
        return length;
    }

    /// <summary>Both directions, as one frame out and one frame in.</summary>
    [Benchmark]
    public int CompressAndDecompress() => Compress() + Decompress();

    /// <summary>Whole frame out: MAC header + IPHC/NHC + payload (what the mesh interface does per send).</summary>
    [Benchmark]
    public int EncodeFrame()
    {
        LowpanCodec.TryEncode(_datagram, _mac, _contexts, 1, _frames, _ranges, out int count);
        return count;
    }

    /// <summary>Whole frame in: MAC header parse + IPHC/NHC decode + payload copy.</summary>
    [Benchmark]
    public int DecodeFrame()
    {
        MacFrame frame = MacFrameCodec.Read(_mpdu);
        LowpanCodec.TryDecode(frame.Payload, new LinkAddresses(frame.Header.Source, frame.Header.Destination), _contexts, _decompressed, out int length);
        return length;
    }
}
