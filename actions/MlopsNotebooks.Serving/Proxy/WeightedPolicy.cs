using System.Globalization;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace MlopsNotebooks.Serving.Proxy;

/// <summary>
/// Picks a destination at random in proportion to its weight (the routes file's, carried in the destination's metadata):
/// a canary at 10 gets about one request in ten; a weight of 0 gets no new requests while its in-flight ones finish.
/// </summary>
internal sealed class WeightedPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "Weighted";

    public const string WeightKey = "weight";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        // No allocation on this path: it runs for every request the proxy forwards.
        var total = 0;
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            total += Weight(availableDestinations[i]);
        }
        if (total == 0)
        {
            return null;
        }
        var pick = Random.Shared.Next(total);
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            pick -= Weight(availableDestinations[i]);
            if (pick < 0)
            {
                return availableDestinations[i];
            }
        }
        return null;
    }

    public static int Weight(DestinationState destination) =>
        destination.Model.Config.Metadata is { } metadata && metadata.TryGetValue(WeightKey, out var text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var weight) ? weight : 0;
}
