using System.Text;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.TestKit.OneM2m;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>
/// The CoAP side of the oneM2M binding checked against libcoap (Debian libcoap3-bin), a peer we did not write:
/// its client talks to the test CSE's CoAP front, and its server decodes what our binding sends. libcoap does not
/// know the oneM2M options, so it logs them by number and rejects them as critical (notes §7) — which is exactly
/// what lets us read them back byte for byte.
/// </summary>
public sealed class LibcoapInteropTests
{
    private static string Escaped(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(b => $"\\x{b:X2}"));

    [Fact]
    public async Task Libcoap_client_creates_an_ae_at_the_cse_front_and_gets_2_01_with_rsc_2001()
    {
        await using TestCse cse = TestCse.Start();
        (_, string output) = await LibcoapProcess.RunAsync(TimeSpan.FromSeconds(15), "coap-client-notls",
            "-v", "7", "-B", "2", "-m", "post", "-t", "50", "-A", "50",
            "-O", "279,Ccoapgw3", "-O", "283,c13", "-O", "271,3", "-O", "267,0x02",
            "-e", "{\"m2m:ae\":{\"rn\":\"CoapGw3\",\"api\":\"Nodroid.gw\",\"rr\":false,\"srv\":[\"3\"]}}",
            $"coap://127.0.0.1:{cse.CoapPort}/cse-in");

        // libcoap logs the answer before rejecting it for the oneM2M options it does not know.
        Assert.Contains("c:2.01", output, StringComparison.Ordinal);
        Assert.Contains("307:\\x07\\xD1", output, StringComparison.Ordinal); // RSC 2001
        Assert.Contains("283:" + Escaped("c13"), output, StringComparison.Ordinal);
        Assert.Contains("Content-Format:application/json", output, StringComparison.Ordinal);
        Assert.NotNull(cse.Find("cse-in/CoapGw3"));
        TestCseRequest request = Assert.Single(cse.Requests); // retransmissions were deduplicated
        Assert.Equal("coap", request.Binding);
        Assert.Equal(2001, request.Rsc);
        Assert.Empty(cse.Violations);
    }

    [Fact]
    public async Task Libcoap_client_without_originator_gets_4_00_with_rsc_4000()
    {
        await using TestCse cse = TestCse.Start();
        (_, string output) = await LibcoapProcess.RunAsync(TimeSpan.FromSeconds(15), "coap-client-notls",
            "-v", "7", "-B", "2", "-m", "get", "-A", "50", "-O", "283,c14", "-O", "271,3",
            $"coap://127.0.0.1:{cse.CoapPort}/cse-in");
        Assert.Contains("c:4.00", output, StringComparison.Ordinal);
        Assert.Contains("307:\\x0F\\xA0", output, StringComparison.Ordinal); // RSC 4000
        Assert.Contains("X-M2M-Origin missing", Assert.Single(cse.Violations), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Libcoap_server_decodes_the_bindings_create_as_ts_0008_says()
    {
        int port = LibcoapProcess.FreePortPair();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-notls", "-A", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-v", "7");
        await LibcoapProcess.WaitForUdpPortAsync(port, TimeSpan.FromSeconds(5));
        await using var binding = new CoapBinding();
        var snapshot = new UpstreamSnapshot(new UpstreamEndpoint(new Uri($"coap://127.0.0.1:{port}/"), "/id-in", "cse-in", "Cactivegate01"), 1);
        ResponsePrimitive r = await binding.SendAsync(snapshot, new RequestPrimitive
        {
            Operation = Operation.Create,
            To = "/id-in/cnt42",
            ResourceType = ResourceType.ContentInstance,
            RequestIdentifier = "rq-77",
            ResultContent = ResultContent.Nothing,
            Content = "{\"m2m:cin\":{\"con\":\"1\"}}"u8.ToArray(),
            Timeout = TimeSpan.FromSeconds(5),
        }, default);

        // A generic CoAP server must refuse the critical oneM2M options: 4.02 Bad Option, no RSC.
        Assert.False(r.IsLocal, r.ToString());
        Assert.Equal(402, r.TransportStatus);
        Assert.Equal(ResponseOutcome.BadRequest, r.Outcome);

        string log = "";
        for (int i = 0; i < 50 && !log.Contains("unknown critical option", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            log = server.Output;
        }

        string line = log.Split('\n').First(l => l.Contains("c:POST", StringComparison.Ordinal));
        Assert.Contains("t:CON", line, StringComparison.Ordinal);
        Assert.Contains("Uri-Path:~, Uri-Path:id-in, Uri-Path:cnt42", line, StringComparison.Ordinal);
        Assert.Contains("Content-Format:application/json", line, StringComparison.Ordinal);
        Assert.Contains("Accept:application/json", line, StringComparison.Ordinal);
        Assert.Contains("Uri-Query:rcn=0", line, StringComparison.Ordinal);
        Assert.Contains("267:\\x04", line, StringComparison.Ordinal);
        Assert.Contains("271:\\x33", line, StringComparison.Ordinal);
        Assert.Contains("279:" + Escaped("Cactivegate01"), line, StringComparison.Ordinal);
        Assert.Contains("283:" + Escaped("rq-77"), line, StringComparison.Ordinal);
        Assert.Contains("{\"m2m:cin\":{\"con\":\"1\"}}", line, StringComparison.Ordinal);
    }
}
