using System.Net.Http.Headers;
using System.Text;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;

namespace ActiveGate.OneM2m.Tests.Notifications;

public sealed class NotificationTests
{
    [Fact]
    public void Parses_acme_event_notification()
    {
        const string body = """{"m2m:sgn": {"nev": {"net": 3, "rep": {"m2m:cin": {"cnf": "application/json:0", "con": "{\"relay\":false}", "cs": 15, "pi": "cntZOqrAT6PbS", "ri": "cingUEr0UWVhq", "rn": "cin_IgMYgOD7yu", "ty": 4}}}, "sur": "/id-in/subWEy122UJGm"}}""";
        Assert.True(NotificationMessage.TryParse(Encoding.UTF8.GetBytes(body), out NotificationMessage? n));
        Assert.Equal(NotificationKind.Event, n!.Kind);
        Assert.Equal(3, n.EventType);
        Assert.Equal("/id-in/subWEy122UJGm", n.SubscriptionReference);
        Assert.Equal("m2m:cin", n.RepresentationType);
        Assert.Equal("{\"relay\":false}", n.ContentInstance?.ContentText);
    }

    [Fact]
    public void Parses_verification_and_deletion()
    {
        Assert.True(NotificationMessage.TryParse("""{"m2m:sgn": {"vrq": true, "sur": "/id-in/subBmt8jv9vrS", "cr": "Cactivegate01"}}"""u8, out NotificationMessage? v));
        Assert.Equal(NotificationKind.VerificationRequest, v!.Kind);
        Assert.Equal("Cactivegate01", v.Creator);
        Assert.True(NotificationMessage.TryParse("""{"m2m:sgn":{"sud":true,"sur":"/id-in/sub1"}}"""u8, out NotificationMessage? d));
        Assert.Equal(NotificationKind.SubscriptionDeleted, d!.Kind);
    }

    [Fact]
    public void Parses_flex_container_update()
    {
        Assert.True(NotificationMessage.TryParse("""{"m2m:sgn":{"nev":{"net":1,"rep":{"cod:binSh":{"cnd":"org.onem2m.common.moduleclass.binarySwitch","state":false}}},"sur":"/id-in/subheTs17FoQf"}}"""u8, out NotificationMessage? n));
        Assert.Equal("cod:binSh", n!.RepresentationType);
        Assert.False(n.Representation!.Value.GetProperty("state").GetBoolean());
        Assert.Null(n.ContentInstance);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"m2m:sgn\":{}}")]
    [InlineData("{\"m2m:sgn\":[]}")]
    [InlineData("garbage")]
    public void Rejects_non_notifications(string body)
        => Assert.False(NotificationMessage.TryParse(Encoding.UTF8.GetBytes(body), out _));

    [Fact]
    public async Task Listener_accepts_any_path_below_poa_and_echoes_headers()
    {
        int port = FreePort();
        var received = new List<NotificationMessage>();
        await using var listener = new HttpNotificationListener($"http://127.0.0.1:{port}/notify/", (n, _) =>
        {
            lock (received)
            {
                received.Add(n);
            }

            return ValueTask.FromResult(ResponseStatusCode.Ok);
        });
        listener.Start();
        using var http = new HttpClient();

        using var ok = await Post(http, $"http://127.0.0.1:{port}/notify/Cactivegate01", """{"m2m:sgn":{"vrq":true,"sur":"/id-in/s","cr":"C1"}}""", "application/json", "ri-1");
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal("2000", ok.Headers.GetValues("X-M2M-RSC").Single());
        Assert.Equal("ri-1", ok.Headers.GetValues("X-M2M-RI").Single());
        Assert.Equal("3", ok.Headers.GetValues("X-M2M-RVI").Single());

        using var create = await Post(http, $"http://127.0.0.1:{port}/notify/", "{\"m2m:cin\":{}}", "application/json;ty=4", "ri-2");
        Assert.Equal("4005", create.Headers.GetValues("X-M2M-RSC").Single());
        using var garbage = await Post(http, $"http://127.0.0.1:{port}/notify", "nope", "application/json", "ri-3");
        Assert.Equal("4000", garbage.Headers.GetValues("X-M2M-RSC").Single());
        Assert.Equal(400, (int)garbage.StatusCode);

        Assert.Equal(NotificationKind.VerificationRequest, Assert.Single(received).Kind);
        Assert.Equal("/notify/Cactivegate01", received[0].Target);
    }

    private static async Task<HttpResponseMessage> Post(HttpClient http, string url, string body, string contentType, string rqi)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add("X-M2M-Origin", "/id-in");
        request.Headers.Add("X-M2M-RI", rqi);
        request.Headers.Add("X-M2M-RVI", "3");
        return await http.SendAsync(request);
    }

    internal static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
