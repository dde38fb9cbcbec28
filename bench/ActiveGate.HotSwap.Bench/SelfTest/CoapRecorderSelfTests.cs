using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.HotSwap.Bench.Proxy;

namespace ActiveGate.HotSwap.Bench.SelfTest;

/// <summary>The CoAP recorder on datagrams encoded by the agent's own codec (an independent encoder of RFC 7252).</summary>
internal static class CoapRecorderSelfTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Pairing()
    {
        var recorder = new CoapExchangeRecorder();
        recorder.OnOpened(1, s_t0);
        CoapToken token = CoapToken.FromBytes([1, 2, 3, 4]);

        // A reading CREATE (CON POST with oneM2M-TY 4), sent twice (a retransmission keeps the first time).
        var create = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 7, Token = token };
        foreach (string segment in (string[])["cse-in", "ae", "plug-a", "ch1", "meas"])
        {
            create.Options.Add(CoapOptionNumber.UriPath, segment);
        }

        create.Options.Add((CoapOptionNumber)267, 4u); // long option numbers: the extended-delta encoding
        create.Payload = Encoding.UTF8.GetBytes("""{"m2m:cin":{"rn":"plug-a-ch1-9","con":"1"}}""");
        byte[] request = CoapMessageCodec.Encode(create);
        recorder.OnData(1, FlowDirection.Upstream, s_t0.AddMilliseconds(10), request);
        recorder.OnData(1, FlowDirection.Upstream, s_t0.AddMilliseconds(2010), request);

        // An empty ACK, then the separate 2.01 with RSC 2001 (option 307), matched by token.
        var emptyAck = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = default, MessageId = 7 };
        recorder.OnData(1, FlowDirection.Downstream, s_t0.AddMilliseconds(1010), CoapMessageCodec.Encode(emptyAck));
        var created = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Created, MessageId = 900, Token = token };
        created.Options.Add((CoapOptionNumber)307, 2001u);
        recorder.OnData(1, FlowDirection.Downstream, s_t0.AddMilliseconds(2050), CoapMessageCodec.Encode(created));

        IReadOnlyList<HttpExchange> x = recorder.Exchanges;
        Check(x.Count == 1, $"{x.Count} exchanges");
        HttpExchange e = x[0];
        Check(e.Method == "POST" && e.Target == "/cse-in/ae/plug-a/ch1/meas" && e.ResourceType == 4 && e.ResourceName == "plug-a-ch1-9", $"request {e}");
        Check(e.RequestAt == s_t0.AddMilliseconds(10) && e.ResponseAt == s_t0.AddMilliseconds(2050), $"times {e.RequestAt:ss.fff} → {e.ResponseAt:ss.fff}");
        Check(e.Status == 201 && e.Rsc == 2001 && Measurement.SwapAnalysis.IsAcceptedReading(e), $"status {e.Status}, rsc {e.Rsc}");
        return "CON POST ty=4 (retransmitted) → empty ACK → separate 2.01 RSC 2001: one accepted reading, timed from the first send";
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }
}
