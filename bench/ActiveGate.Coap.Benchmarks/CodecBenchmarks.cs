using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using BenchmarkDotNet.Attributes;

namespace ActiveGate.Coap.Benchmarks;

/// <summary>
/// The codec on the two messages that dominate CoAP traffic: a typical CON GET
/// (token, Uri-Host-less path of two segments, Accept) and a piggybacked 2.05 with Content-Format,
/// Max-Age and a 64-byte payload.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _buffer = new byte[1500];
    private CoapMessage _get = null!;
    private CoapMessage _content = null!;
    private byte[] _getWire = null!;
    private byte[] _contentWire = null!;

    [GlobalSetup]
    public void Setup()
    {
        _get = new CoapMessage
        {
            Type = CoapMessageType.Confirmable,
            Code = CoapCode.Get,
            MessageId = 0x1234,
            Token = CoapToken.FromBytes([0xDE, 0xAD, 0xBE, 0xEF]),
            UriPath = "/sensors/temperature",
            Accept = CoapContentFormat.TextPlain,
        };
        _content = new CoapMessage
        {
            Type = CoapMessageType.Acknowledgement,
            Code = CoapCode.Content,
            MessageId = 0x1234,
            Token = CoapToken.FromBytes([0xDE, 0xAD, 0xBE, 0xEF]),
            ContentFormat = CoapContentFormat.TextPlain,
            MaxAge = 30,
            Payload = Enumerable.Range(0, 64).Select(i => (byte)('a' + (i % 26))).ToArray(),
        };
        _getWire = CoapMessageCodec.Encode(_get);
        _contentWire = CoapMessageCodec.Encode(_content);
    }

    [Benchmark]
    public int EncodeGet()
    {
        CoapMessageCodec.TryWrite(_get, _buffer, out int written);
        return written;
    }

    [Benchmark]
    public int EncodeContent64()
    {
        CoapMessageCodec.TryWrite(_content, _buffer, out int written);
        return written;
    }

    /// <summary>Parse into the zero-allocation view over the (pooled) receive buffer and walk every option.</summary>
    [Benchmark]
    public int ParseGetView() => Walk(_getWire);

    [Benchmark]
    public int ParseContent64View() => Walk(_contentWire);

    /// <summary>Parse and materialise an owned <see cref="CoapMessage"/> (what the stack keeps for handlers).</summary>
    [Benchmark]
    public CoapMessage DecodeGetToMessage() => CoapMessageCodec.Read(_getWire);

    [Benchmark]
    public CoapMessage DecodeContent64ToMessage() => CoapMessageCodec.Read(_contentWire);

    private static int Walk(byte[] wire)
    {
        if (!CoapMessageView.TryParse(wire, out CoapMessageView view, out _))
        {
            return -1;
        }

        int sum = view.MessageId + view.TokenBytes.Length + view.Payload.Length;
        foreach (CoapMessageView.OptionView option in view.Options)
        {
            sum += (int)option.Number + option.Value.Length;
        }

        return sum;
    }
}
