using System.Net;
using System.Text;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.Coap.Tests.Interop;

/// <summary>libcoap's coap-client-notls against our <see cref="CoapServer"/> on loopback.</summary>
[Trait("Category", "Interop")]
public sealed class LibcoapClientAgainstOurServerTests : IAsyncLifetime
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(20);
    private CoapServer _server = null!;
    private TextResource _hello = null!;
    private TextResource _clock = null!;
    private string _base = null!;
    private readonly CancellationTokenSource _ticking = new();
    private Task _ticker = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        int port = Libcoap.FreeUdpPort();
        _server = new CoapServer(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, port)));
        _hello = _server.Root.Add(new TextResource("hello", "Hello from ActiveGate"));
        _hello.ResourceTypes.Add("greeting");
        _clock = _server.Root.Add(new TextResource("clock", "tick 0", observable: true));
        _server.Root.Add(new TextResource("files")).Add(new TextResource("upload", string.Empty));
        await _server.StartAsync();
        _base = $"coap://127.0.0.1:{port}";
        _ticker = Task.Run(async () =>
        {
            int tick = 0;
            while (!_ticking.IsCancellationRequested)
            {
                await Task.Delay(300, _ticking.Token).ContinueWith(_ => { });
                _clock.Value = Encoding.UTF8.GetBytes($"tick {++tick}");
            }
        });
    }

    public async Task DisposeAsync()
    {
        await _ticking.CancelAsync();
        await _ticker;
        await _server.DisposeAsync();
        _ticking.Dispose();
    }

    [Fact]
    public async Task Get_prints_the_payload()
    {
        (int exit, string output, string error) = await Libcoap.RunAsync("coap-client-notls", $"-m get {_base}/hello", ToolTimeout);

        Assert.True(exit == 0, error);
        Assert.Equal("Hello from ActiveGate", output.Trim());
    }

    [Fact]
    public async Task Block_wise_put_of_100_kB_and_get_back_are_byte_identical()
    {
        byte[] body = new byte[100 * 1024];
        new Random(3).NextBytes(body);
        string inFile = Path.GetTempFileName();
        string outFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(inFile, body);

            (int putExit, _, string putError) = await Libcoap.RunAsync("coap-client-notls", $"-m put -b 1024 -f {inFile} {_base}/files/upload", ToolTimeout);
            (int getExit, _, string getError) = await Libcoap.RunAsync("coap-client-notls", $"-m get -b 1024 -o {outFile} {_base}/files/upload", ToolTimeout);

            Assert.True(putExit == 0, putError);
            Assert.True(getExit == 0, getError);
            Assert.Equal(body, ((TextResource)_server.Root.GetChild("files")!.GetChild("upload")!).Value);
            Assert.Equal(body, await File.ReadAllBytesAsync(outFile));
        }
        finally
        {
            File.Delete(inFile);
            File.Delete(outFile);
        }
    }

    [Fact]
    public async Task Observe_receives_several_notifications()
    {
        (int exit, string output, string error) = await Libcoap.RunAsync("coap-client-notls", $"-s 3 -w {_base}/clock", ToolTimeout);

        Assert.True(exit == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 4, $"expected several notifications, got: {output}");
        Assert.All(lines, l => Assert.StartsWith("tick ", l, StringComparison.Ordinal));
        Assert.True(lines.Distinct().Count() >= 4);
    }

    [Fact]
    public async Task Discovery_lists_our_resources()
    {
        (int exit, string output, string error) = await Libcoap.RunAsync("coap-client-notls", $"-m get {_base}/.well-known/core", ToolTimeout);

        Assert.True(exit == 0, error);
        Assert.Contains("</hello>;rt=\"greeting\";ct=0", output, StringComparison.Ordinal);
        Assert.Contains("</clock>;ct=0;obs", output, StringComparison.Ordinal);
        Assert.Contains("</files/upload>", output, StringComparison.Ordinal);
        Assert.DoesNotContain(".well-known", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_with_rt_filter_returns_only_matching_links()
    {
        (int exit, string output, string error) = await Libcoap.RunAsync("coap-client-notls", $"-m get \"{_base}/.well-known/core?rt=greet*\"", ToolTimeout);

        Assert.True(exit == 0, error);
        Assert.Equal("</hello>;rt=\"greeting\";ct=0", output.Trim());
    }

    [Fact]
    public async Task Missing_resource_gives_4_04()
    {
        (_, string output, string error) = await Libcoap.RunAsync("coap-client-notls", $"-m get {_base}/missing", ToolTimeout);

        Assert.Contains("4.04", output + error, StringComparison.Ordinal);
    }
}
