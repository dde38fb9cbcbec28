using System.Net;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Stack.Observe;

/// <summary>
/// One observer of one resource (RFC 7641 §4.1): who (peer, token), the registration request
/// (to re-run the handler for each notification) and when the last CON notification went out.
/// </summary>
internal sealed class ObserveRelation
{
    public ObserveRelation(EndPoint remote, CoapToken token, CoapMessage request, long registeredAt)
    {
        Remote = remote;
        Token = token;
        Request = request;
        LastConfirmableAt = registeredAt;
    }

    public EndPoint Remote { get; }

    public CoapToken Token { get; }

    public CoapMessage Request { get; }

    /// <summary>Timestamp of the last CON notification (or the registration).</summary>
    public long LastConfirmableAt { get; set; }

    /// <summary>Notifications sent since the last CON.</summary>
    public int NotificationsSinceConfirmable { get; set; }

    /// <summary>Set once the relation has ended (RST, timeout, deregistration).</summary>
    public bool Cancelled { get; set; }
}

/// <summary>Observers of a server, by resource and by (peer, token); bounded.</summary>
internal sealed class ObserverRegistry
{
    private readonly Dictionary<(EndPoint Remote, CoapToken Token), (object Resource, ObserveRelation Relation)> _byKey = [];
    private readonly object _lock = new();
    private readonly int _capacity;

    public ObserverRegistry(int capacity)
    {
        _capacity = Math.Max(1, capacity);
    }

    /// <summary>Adds or replaces (same peer and token: a re-registration, §4.1) a relation; false when full.</summary>
    public bool TryAdd(object resource, ObserveRelation relation)
    {
        lock (_lock)
        {
            var key = (relation.Remote, relation.Token);
            if (_byKey.Remove(key, out var previous))
            {
                previous.Relation.Cancelled = true;
            }
            else if (_byKey.Count >= _capacity)
            {
                return false;
            }

            _byKey[key] = (resource, relation);
            return true;
        }
    }

    public bool Remove(EndPoint remote, CoapToken token)
    {
        lock (_lock)
        {
            if (_byKey.Remove((remote, token), out var removed))
            {
                removed.Relation.Cancelled = true;
                return true;
            }

            return false;
        }
    }

    public void Remove(ObserveRelation relation)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue((relation.Remote, relation.Token), out var current) && ReferenceEquals(current.Relation, relation))
            {
                _byKey.Remove((relation.Remote, relation.Token));
            }

            relation.Cancelled = true;
        }
    }

    public List<ObserveRelation> Snapshot(object resource)
    {
        lock (_lock)
        {
            return _byKey.Values.Where(v => ReferenceEquals(v.Resource, resource)).Select(v => v.Relation).ToList();
        }
    }

    public int Count(object resource)
    {
        lock (_lock)
        {
            return _byKey.Values.Count(v => ReferenceEquals(v.Resource, resource));
        }
    }

    public int Total
    {
        get
        {
            lock (_lock)
            {
                return _byKey.Count;
            }
        }
    }
}
