using System.Text.Json;
using ActiveGate.Agent.Diagnostics;

namespace ActiveGate.Agent.Tests.Diagnostics;

public sealed class DiagnosticsProtocolTests
{
    [Fact]
    public void A_request_round_trips()
    {
        string line = DiagnosticsProtocol.FormatRequest("status", new System.Text.Json.Nodes.JsonObject { ["verbose"] = true });

        Assert.True(DiagnosticsProtocol.TryParseRequest(line, out string command, out JsonElement args, out _, out _));
        Assert.Equal("status", command);
        Assert.True(args.GetProperty("verbose").GetBoolean());
    }

    [Theory]
    [InlineData("not json", "bad-request")]
    [InlineData("[1,2]", "bad-request")]
    [InlineData("""{"v":2,"cmd":"status"}""", "unsupported-version")]
    [InlineData("""{"cmd":"status"}""", "unsupported-version")]
    [InlineData("""{"v":1}""", "bad-request")]
    [InlineData("""{"v":1,"cmd":""}""", "bad-request")]
    public void Bad_requests_get_a_specific_error_code(string line, string expectedCode)
    {
        Assert.False(DiagnosticsProtocol.TryParseRequest(line, out _, out _, out string code, out string message));
        Assert.Equal(expectedCode, code);
        Assert.False(string.IsNullOrEmpty(message));
    }
}
