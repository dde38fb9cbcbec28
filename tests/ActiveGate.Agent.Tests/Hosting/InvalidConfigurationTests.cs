namespace ActiveGate.Agent.Tests.Hosting;

public sealed class InvalidConfigurationTests
{
    [Theory]
    [InlineData("""{ "Radio": { "Channel": 30 } }""", "Radio:Channel = '30': must be between 11 and 26")]
    [InlineData("""{ "Radio": { "Channel": "eleven" } }""", "Radio:Channel = 'eleven': expected a whole number")]
    [InlineData("""{ "Log": { "Level": "Loud" } }""", "Log:Level = 'Loud': expected one of Verbose, Debug, Information, Warning, Error, Fatal")]
    [InlineData("""{ "Log": { "File": { "RetainedFileCount": 0 } } }""", "Log:File:RetainedFileCount = '0': must be between 1 and 1000")]
    [InlineData("""{ "Radio": { "Chanel": 12 } }""", "Radio:Chanel: unknown key")]
    [InlineData("""{ "Radio": """, "not valid JSON")]
    public async Task Invalid_configuration_exits_78_with_one_line_naming_the_key(string json, string expected)
    {
        string directory = AgentProcess.NewScratchDirectory();
        string config = Path.Combine(directory, "bad.json");
        await File.WriteAllTextAsync(config, json);

        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["run", "--config", config], directory);

        Assert.Equal(78, exitCode);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("activegate: invalid configuration:", StringComparison.Ordinal));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_variables_override_files_and_are_validated_too()
    {
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["run"], environment: new Dictionary<string, string> { ["ACTIVEGATE__Radio__PanId"] = "65535" });

        Assert.Equal(78, exitCode);
        Assert.Contains("Radio:PanId = '65535'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_explicit_config_file_is_a_configuration_error()
    {
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["run", "--config", "/nonexistent/activegate.json"]);

        Assert.Equal(78, exitCode);
        Assert.Contains("/nonexistent/activegate.json", output, StringComparison.Ordinal);
    }
}
