using System.Globalization;

namespace MlopsNotebooks.Deployment.Docker;

/// <summary>
/// One canary step's verdict on a Docker engine: the core's judge over the new version's scrapes (5xx rate, p99), and
/// the share of requests the new version refuses (4xx) against the old one's over the same window, which catches a new
/// version that no longer takes what clients send.
/// </summary>
internal sealed record CanaryJudgement(bool Failed, bool NotEnoughRequests, string Reason)
{
    public static CanaryJudgement Fail(string reason) => new(true, false, reason);

    public static CanaryJudgement Of(string before, string after, string servingBefore, string servingAfter, CanaryPolicy policy)
    {
        var (newBefore, newAfter) = (PrometheusText.Parse(before), PrometheusText.Parse(after));
        var verdict = CanaryJudge.Judge(newBefore, newAfter, policy);
        if (verdict.Kind != CanaryVerdictKind.Pass)
        {
            return new CanaryJudgement(verdict.Kind == CanaryVerdictKind.Fail, verdict.Kind == CanaryVerdictKind.NotEnoughRequests, verdict.Reason);
        }
        var (requests, refused) = CanaryJudge.Refusals(newBefore, newAfter);
        var (servingRequests, servingRefused) = CanaryJudge.Refusals(PrometheusText.Parse(servingBefore), PrometheusText.Parse(servingAfter));
        var share = requests == 0 ? 0 : (double)refused / requests;
        var servingShare = servingRequests == 0 ? 0 : (double)servingRefused / servingRequests;
        if (share - servingShare > policy.MaxErrorRate)
        {
            return Fail($"the new version refused {Percent(share)} of its requests ({refused} of {requests}, 4xx) where the old one refused {Percent(servingShare)}.");
        }
        return new CanaryJudgement(false, false, verdict.Reason);
    }

    private static string Percent(double share) => (share * 100).ToString("0.0#", CultureInfo.InvariantCulture) + "%";
}
