using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy.Upstream;

namespace ActiveGate.Proxy.Tests.Upstream;

/// <summary>The runtime policies survive restarts, and a damaged file never stops the agent.</summary>
public sealed class UpstreamPolicyStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-policy-" + Guid.NewGuid().ToString("N"));

    private string File => Path.Combine(_dir, "upstream-policy.json");

    private static readonly UpstreamPolicy s_http = new("readings",
        new UpstreamEndpoint(new Uri("http://10.0.0.5:8080/onem2m/"), "/id-in", "cse-in", "Cactivegate01"), PolicySource.Lwm2m);

    private static readonly UpstreamPolicy s_coap = new("events",
        new UpstreamEndpoint(new Uri("coap://[fd00::1]:5683/"), "/mn-cse", "cse-mn", "CAgw 2", "2a"), PolicySource.Operator);

    private static readonly UpstreamPolicy s_log = new("diagnostics", null, PolicySource.Configuration);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public void Saved_policies_load_back_equal_in_a_new_store()
    {
        var store = new UpstreamPolicyStore(File);
        store.Save(0, s_http);
        store.Save(1, s_coap);
        store.Save(7, s_log);
        store.Save(0, s_http with { Source = PolicySource.Operator }); // overwrite keeps the others

        IReadOnlyDictionary<int, StoredPolicy> loaded = new UpstreamPolicyStore(File).Load(out string? problem); // "after a restart"
        Assert.Null(problem);
        Assert.Equal(3, loaded.Count);
        Assert.Equal(s_http with { Source = PolicySource.Operator }, loaded[0].Policy);
        Assert.Equal(s_coap, loaded[1].Policy); // including rvi 2a and the IPv6 literal
        Assert.Equal(s_log, loaded[7].Policy);
    }

    [Fact]
    public void The_policy_in_force_is_kept_beside_a_pending_one_until_the_switch()
    {
        var store = new UpstreamPolicyStore(File);
        store.Save(0, s_coap, inForce: s_http);
        StoredPolicy pending = new UpstreamPolicyStore(File).Load(out string? problem)[0];
        Assert.Null(problem);
        Assert.Equal(s_coap, pending.Policy);
        Assert.Equal(s_http, pending.InForce);

        store.Save(0, s_coap); // switched
        Assert.Null(new UpstreamPolicyStore(File).Load(out _)[0].InForce);
    }

    [Fact]
    public void A_missing_file_is_empty_without_a_problem_and_a_missing_directory_is_created_on_save()
    {
        string nested = Path.Combine(_dir, "a", "b", "policy.json");
        var store = new UpstreamPolicyStore(nested);
        Assert.Empty(store.Load(out string? problem));
        Assert.Null(problem);

        store.Save(0, s_http);
        Assert.True(System.IO.File.Exists(nested));
        Assert.Equal(s_http, store.Load(out _)[0].Policy);
    }

    public static TheoryData<string> Corrupt => new()
    {
        "",
        "{not json",
        "\u00ff\u00fe garbage",
        "[1,2,3]",
        "{\"services\": 5}",
        "{\"services\": [null]}",
        "{\"services\": [{\"id\": \"zero\", \"name\": \"readings\", \"source\": \"Lwm2m\", \"endpoint\": null}]}",
        "{\"services\": [{\"id\": 0, \"name\": \"readings\", \"source\": \"Martian\", \"endpoint\": null}]}",
        "{\"services\": [{\"id\": 0, \"name\": \"readings\", \"source\": \"Lwm2m\", \"endpoint\": {\"url\": \"not a url\", \"cseId\": \"/id-in\", \"cseName\": \"cse-in\", \"origin\": \"C1\"}}]}",
        "{\"services\": [{\"id\": 0, \"name\": \"readings\", \"source\": \"Lwm2m\", \"endpoint\": {\"url\": \"http://h:0/\", \"cseId\": \"/id-in\", \"cseName\": \"cse-in\", \"origin\": \"C1\"}}]}",
        "{\"services\": [{\"id\": 0, \"name\": \"readings\", \"source\": \"Lwm2m\", \"endpoint\": {\"url\": \"http://h/\", \"cseName\": \"cse-in\", \"origin\": \"C1\"}}]}",
        "{\"services\": [{\"id\": 99999999999, \"name\": \"readings\", \"source\": \"Lwm2m\", \"endpoint\": null}]}",
        new string('[', 10_000),
    };

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void A_corrupt_file_loads_as_empty_with_the_problem_and_never_throws(string content)
    {
        Directory.CreateDirectory(_dir);
        System.IO.File.WriteAllText(File, content);
        var store = new UpstreamPolicyStore(File);

        IReadOnlyDictionary<int, StoredPolicy> loaded = store.Load(out string? problem);
        Assert.Empty(loaded);
        Assert.NotNull(problem);
        Assert.Contains(File, problem, StringComparison.Ordinal); // a technician can find it

        // The next runtime write replaces the damaged file with a good one.
        store.Save(0, s_http);
        Assert.Equal(s_http, store.Load(out problem)[0].Policy);
        Assert.Null(problem);
    }

    [Fact]
    public void A_partly_valid_file_is_refused_as_a_whole()
    {
        // One bad entry must not leave the services half on runtime and half on configuration policies.
        Directory.CreateDirectory(_dir);
        System.IO.File.WriteAllText(File, """
            {"services": [
              {"id": 0, "name": "readings", "source": "Lwm2m", "endpoint": null},
              {"id": 1, "name": "events", "source": "Lwm2m", "endpoint": {"url": "ftp://h/", "cseId": "/id-in", "cseName": "cse-in", "origin": "C1"}}
            ]}
            """);
        Assert.Empty(new UpstreamPolicyStore(File).Load(out string? problem));
        Assert.Contains("service 1", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_forgets_one_instance_or_all()
    {
        var store = new UpstreamPolicyStore(File);
        store.Save(0, s_http);
        store.Save(1, s_coap);

        store.Remove(0);
        IReadOnlyDictionary<int, StoredPolicy> left = store.Load(out string? problem);
        Assert.Null(problem);
        Assert.Equal([1], left.Keys);

        store.Remove(42); // not there: harmless
        Assert.Equal([1], store.Load(out _).Keys);

        store.Remove(null);
        Assert.Empty(store.Load(out problem));
        Assert.Null(problem);
    }

    [Fact]
    public void Remove_without_a_file_leaves_an_empty_readable_file()
    {
        var store = new UpstreamPolicyStore(Path.Combine(_dir, "fresh", "policy.json"));
        store.Remove(null);
        Assert.Empty(store.Load(out string? problem));
        Assert.Null(problem);
    }

    [Fact]
    public void A_temporary_file_left_by_a_crash_is_ignored_and_replaced()
    {
        var store = new UpstreamPolicyStore(File);
        store.Save(0, s_http);

        // Power cut after writing part of the next version: the rename never happened.
        System.IO.File.WriteAllText(File + ".tmp", "{\"services\": [{\"id\": 0, \"na");
        IReadOnlyDictionary<int, StoredPolicy> loaded = new UpstreamPolicyStore(File).Load(out string? problem);
        Assert.Null(problem);
        Assert.Equal(s_http, loaded[0].Policy);

        // A crash before the first rename: only the temporary file exists, and it is not taken for the policy.
        string other = Path.Combine(_dir, "other.json");
        System.IO.File.WriteAllText(other + ".tmp", System.IO.File.ReadAllText(File));
        Assert.Empty(new UpstreamPolicyStore(other).Load(out problem));
        Assert.Null(problem);

        // The next save goes through despite the leftover.
        store.Save(1, s_coap);
        Assert.Equal(2, store.Load(out _).Count);
        Assert.False(System.IO.File.Exists(File + ".tmp"));
    }
}
