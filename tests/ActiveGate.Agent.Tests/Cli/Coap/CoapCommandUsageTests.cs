using ActiveGate.Agent.Cli;
using ActiveGate.Agent.Cli.Coap;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Agent.Tests.Cli.Coap;

public sealed class CoapCommandUsageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("get", "http://example.com/")]
    [InlineData("get", "coaps://127.0.0.1/x")] // DTLS without a key
    [InlineData("get", "coap://127.0.0.1/x", "--psk-identity", "a", "--psk-key", "00")] // PSK for plain CoAP
    [InlineData("put", "coap://127.0.0.1/x", "--payload", "a", "--payload-file", "/etc/hostname")]
    [InlineData("get", "coap://127.0.0.1/x", "--block-size", "100")]
    [InlineData("get", "coap://127.0.0.1/x", "--timeout", "0")]
    [InlineData("observe", "coap://127.0.0.1/x", "--count", "0")]
    public async Task Bad_arguments_exit_with_2(params string[] args)
    {
        var result = await CliRunner.RunAsync(s_timeout, args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("activegate coap:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_key_is_refused_without_echoing_it()
    {
        var result = await CliRunner.RunAsync(s_timeout, "get", "coaps://127.0.0.1/x", "--psk-identity", "a", "--psk-key", "s3cr3t-not-hex");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.DoesNotContain("s3cr3t", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_a_missing_directory()
    {
        var result = await CliRunner.RunAsync(s_timeout, "serve", "--dir", "/nonexistent/dir/for/coap", "--port", "0");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }

    [Fact]
    public void Text_output_shows_code_options_and_payload_or_a_hex_dump()
    {
        var text = CoapResponse.FromText(CoapCode.Content, "22.5 C");
        text.MaxAge = 30;
        var writer = new StringWriter();
        CoapResponseFormatter.WriteText(text, writer);
        Assert.Equal("2.05 Content\nContent-Format: 0 (text/plain)\nMax-Age: 30\n\n22.5 C\n", writer.ToString().ReplaceLineEndings("\n"));

        var binary = new CoapResponse(CoapCode.Content, new byte[] { 0x00, 0x41, 0xFF }, CoapContentFormat.OctetStream);
        writer = new StringWriter();
        CoapResponseFormatter.WriteText(binary, writer);
        Assert.Contains("00000000  00 41 ff", writer.ToString(), StringComparison.Ordinal);
        Assert.Contains("|.A.|", writer.ToString(), StringComparison.Ordinal);

        var json = CoapResponseFormatter.ToJson(binary);
        Assert.Equal("hex", (string?)json["payloadEncoding"]);
        Assert.Equal("0041ff", (string?)json["payload"]);
    }
}
