// ViewerAccess (PROTOCOL.md 14.1): who may control the daemon from a browser, by token, bind address and Origin;
// and query_parameter, which reads the token out of the upgrade request's target.
#include "tomolive/daemon/viewer_access.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tomolive::daemon {
namespace {

constexpr const char* kHost = "127.0.0.1:8080";
constexpr const char* kSameOrigin = "http://127.0.0.1:8080";

// --- a token is configured -----------------------------------------------------------------------------------------

TEST(ViewerAccess, RightTokenControls) {
  for (const bool loopback : {true, false}) {
    const ViewerAccess access("s3cret", loopback);
    const auto decision = access.decide("/ws?token=s3cret", kHost, kSameOrigin);
    EXPECT_FALSE(decision.read_only) << "loopback " << loopback;
    EXPECT_EQ(decision.reason, "");
  }
}

TEST(ViewerAccess, RightTokenAmongOtherParametersControls) {
  const ViewerAccess access("s3cret", false);
  EXPECT_FALSE(access.decide("/ws?view=xy&token=s3cret&zoom=2", kHost, kSameOrigin).read_only);
}

TEST(ViewerAccess, PercentEncodedTokenIsDecodedBeforeComparing) {
  const ViewerAccess access("a b&c=d/e", false);
  EXPECT_FALSE(access.decide("/ws?token=a+b%26c%3Dd%2Fe", kHost, kSameOrigin).read_only);
  EXPECT_FALSE(access.decide("/ws?token=a%20b%26c%3dd%2fe", kHost, kSameOrigin).read_only);
  EXPECT_TRUE(access.decide("/ws?token=a+b&c=d/e", kHost, kSameOrigin).read_only);  // '&' splits the query
}

TEST(ViewerAccess, WrongTokenIsReadOnlyWithAReason) {
  const ViewerAccess access("s3cret", true);
  for (const char* target : {"/ws?token=wrong", "/ws?token=s3cre", "/ws?token=s3cret1", "/ws?token=S3CRET",
                             "/ws?token=s3cret%00", "/ws?token= s3cret"}) {
    const auto decision = access.decide(target, kHost, kSameOrigin);
    EXPECT_TRUE(decision.read_only) << target;
    EXPECT_FALSE(decision.reason.empty()) << target;
  }
}

TEST(ViewerAccess, MissingTokenIsReadOnlyWithAReasonEvenOnLoopback) {
  const ViewerAccess access("s3cret", true);
  for (const char* target : {"/ws", "/ws?", "/ws?token=", "/ws?token", "/ws?tok=s3cret", "/ws?xtoken=s3cret",
                             "/ws#token=s3cret"}) {
    const auto decision = access.decide(target, kHost, kSameOrigin);
    EXPECT_TRUE(decision.read_only) << target;
    EXPECT_FALSE(decision.reason.empty()) << target;
  }
}

TEST(ViewerAccess, MissingAndWrongTokenGiveDifferentReasons) {
  const ViewerAccess access("s3cret", true);
  const auto missing = access.decide("/ws", kHost, kSameOrigin);
  const auto wrong = access.decide("/ws?token=nope", kHost, kSameOrigin);
  EXPECT_NE(missing.reason, wrong.reason);
  EXPECT_NE(missing.reason.find("token"), std::string::npos) << missing.reason;
  EXPECT_NE(wrong.reason.find("token"), std::string::npos) << wrong.reason;
}

// --- no token ------------------------------------------------------------------------------------------------------

TEST(ViewerAccess, NoTokenOnLoopbackControls) {
  const ViewerAccess access("", true);
  const auto decision = access.decide("/ws", kHost, kSameOrigin);
  EXPECT_FALSE(decision.read_only);
  EXPECT_EQ(decision.reason, "");
  EXPECT_FALSE(access.decide("/ws?token=anything", kHost, kSameOrigin).read_only);
}

TEST(ViewerAccess, NoTokenBeyondLoopbackIsReadOnlyWithAReason) {
  const ViewerAccess access("", false);
  for (const char* target : {"/ws", "/ws?token=", "/ws?token=guess"}) {
    const auto decision = access.decide(target, "10.0.0.5:8080", "http://10.0.0.5:8080");
    EXPECT_TRUE(decision.read_only) << target;
    EXPECT_FALSE(decision.reason.empty()) << target;
  }
}

// --- Origin --------------------------------------------------------------------------------------------------------

TEST(ViewerAccess, OtherOriginIsReadOnlyEvenWithTheRightToken) {
  const ViewerAccess access("s3cret", true);
  for (const char* origin : {"http://evil.example", "http://evil.example:8080", "http://127.0.0.1:9090",
                             "http://127.0.0.1", "http://127.0.0.1:8080.evil.example", "null",
                             "http://localhost:8080"}) {
    const auto decision = access.decide("/ws?token=s3cret", kHost, origin);
    EXPECT_TRUE(decision.read_only) << origin;
    EXPECT_FALSE(decision.reason.empty()) << origin;
  }
}

TEST(ViewerAccess, OtherOriginIsReadOnlyWithoutTokenOnLoopback) {
  const ViewerAccess access("", true);
  const auto decision = access.decide("/ws", kHost, "https://attacker.example");
  EXPECT_TRUE(decision.read_only);
  EXPECT_FALSE(decision.reason.empty());
}

TEST(ViewerAccess, OriginEqualToHostIsAllowedIgnoringCase) {
  const ViewerAccess access("", true);
  EXPECT_FALSE(access.decide("/ws", "localhost:8080", "http://localhost:8080").read_only);
  EXPECT_FALSE(access.decide("/ws", "localhost:8080", "http://LocalHost:8080").read_only);
  EXPECT_FALSE(access.decide("/ws", "LOCALHOST:8080", "http://localhost:8080").read_only);
  EXPECT_FALSE(access.decide("/ws", "[::1]:8080", "http://[::1]:8080").read_only);
  EXPECT_FALSE(access.decide("/ws", "viewer.lab:80", "https://viewer.lab:80").read_only);
  const ViewerAccess with_token("s3cret", false);
  EXPECT_FALSE(with_token.decide("/ws?token=s3cret", "Beamline.Lab:8080", "http://beamline.lab:8080").read_only);
}

TEST(ViewerAccess, NoOriginFollowsTheTokenAndLoopbackRules) {
  EXPECT_FALSE(ViewerAccess("s3cret", false).decide("/ws?token=s3cret", kHost, "").read_only);
  EXPECT_TRUE(ViewerAccess("s3cret", false).decide("/ws?token=bad", kHost, "").read_only);
  EXPECT_TRUE(ViewerAccess("s3cret", true).decide("/ws", kHost, "").read_only);
  EXPECT_FALSE(ViewerAccess("", true).decide("/ws", kHost, "").read_only);
  EXPECT_TRUE(ViewerAccess("", false).decide("/ws", kHost, "").read_only);
}

TEST(ViewerAccess, DescribeSaysWhoMayControl) {
  const std::string with_token = ViewerAccess("s3cret", false).describe();
  const std::string loopback = ViewerAccess("", true).describe();
  const std::string open = ViewerAccess("", false).describe();
  EXPECT_FALSE(with_token.empty());
  EXPECT_FALSE(loopback.empty());
  EXPECT_FALSE(open.empty());
  EXPECT_NE(with_token, loopback);
  EXPECT_NE(loopback, open);
  EXPECT_NE(with_token, open);
  EXPECT_EQ(with_token.find("s3cret"), std::string::npos) << "the log line must not reveal the token";
}

// --- Host (DNS rebinding) ------------------------------------------------------------------------------------------

TEST(ViewerAccess, OnLoopbackWithoutTokenLoopbackHostsAreServed) {
  const ViewerAccess access("", true);
  for (const char* host : {"localhost", "localhost:8080", "LocalHost:8080", "127.0.0.1", "127.0.0.1:8080",
                           "127.1.2.3:80", "127.255.255.255", "[::1]", "[::1]:8080"}) {
    EXPECT_EQ(access.host_refusal(host), "") << host;
  }
}

TEST(ViewerAccess, OnLoopbackWithoutTokenOtherHostsAreRefusedWithAReason) {
  const ViewerAccess access("", true);
  for (const char* host : {"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example",
                           "128.0.0.1:8080", "127.0.0.256", "127.0.0", "127.0.0.1.1", "127.0.0.01x", "0177.0.0.1",
                           "[::2]:8080", "[::1", "::1", "localhost:80x", "localhost:", "localhost:123456", "",
                           "10.0.0.5:8080", "[::ffff:7f00:1]"}) {
    const std::string refusal = access.host_refusal(host);
    EXPECT_NE(refusal.find("loopback"), std::string::npos) << host << ": " << refusal;
  }
}

TEST(ViewerAccess, WithATokenOrBeyondLoopbackTheHostIsNotChecked) {
  EXPECT_EQ(ViewerAccess("s3cret", true).host_refusal("evil.example:8080"), "");
  EXPECT_EQ(ViewerAccess("", false).host_refusal("evil.example:8080"), "");
}

TEST(ViewerAccess, ARebindingPageNeedsTheTokenToControl) {
  // The attacker's name resolves to 127.0.0.1: Host and Origin agree, and only the token decides.
  const ViewerAccess access("s3cret", true);
  EXPECT_TRUE(access.decide("/ws", "evil.example:8080", "http://evil.example:8080").read_only);
  EXPECT_TRUE(access.decide("/ws?token=guess", "evil.example:8080", "http://evil.example:8080").read_only);
}

// --- query_parameter -----------------------------------------------------------------------------------------------

TEST(ViewerAccess, QueryParameterFindsTheNamedValueAmongSeveral) {
  const char* target = "/ws?a=1&token=xyz&b=2";
  EXPECT_EQ(query_parameter(target, "a"), "1");
  EXPECT_EQ(query_parameter(target, "token"), "xyz");
  EXPECT_EQ(query_parameter(target, "b"), "2");
  EXPECT_EQ(query_parameter("/ws?token=first&token=second", "token"), "first");
}

TEST(ViewerAccess, AReplacedTokenDecidesFromThenOn) {
  ViewerAccess access("old", true);
  access.set_token("new");
  EXPECT_TRUE(access.decide("/ws?token=old", kHost, kSameOrigin).read_only);
  EXPECT_FALSE(access.decide("/ws?token=new", kHost, kSameOrigin).read_only);
  access.set_token("");  // no token any more: loopback controls again
  EXPECT_FALSE(access.decide("/ws", kHost, kSameOrigin).read_only);
}

TEST(ViewerAccess, QueryParameterMatchesWholeNamesOnly) {
  EXPECT_EQ(query_parameter("/ws?xtoken=1&token=2", "token"), "2");
  EXPECT_EQ(query_parameter("/ws?tokenx=1&token=2", "token"), "2");
  EXPECT_EQ(query_parameter("/ws?tok=1", "token"), "");
  EXPECT_EQ(query_parameter("/ws?token_=1", "token"), "");
}

TEST(ViewerAccess, QueryParameterDecodesPercentAndPlus) {
  EXPECT_EQ(query_parameter("/ws?token=a%20b", "token"), "a b");
  EXPECT_EQ(query_parameter("/ws?token=a+b", "token"), "a b");
  EXPECT_EQ(query_parameter("/ws?token=a%2Bb", "token"), "a+b");
  EXPECT_EQ(query_parameter("/ws?token=%2f%2F%3d%26", "token"), "//=&");
  EXPECT_EQ(query_parameter("/ws?token=%C3%A9", "token"), "\xC3\xA9");
  // Malformed escapes are kept as they are.
  EXPECT_EQ(query_parameter("/ws?token=a%zzb", "token"), "a%zzb");
  EXPECT_EQ(query_parameter("/ws?token=50%", "token"), "50%");
  EXPECT_EQ(query_parameter("/ws?token=%4", "token"), "%4");
}

TEST(ViewerAccess, QueryParameterMissingOrEmptyIsEmpty) {
  EXPECT_EQ(query_parameter("/ws", "token"), "");
  EXPECT_EQ(query_parameter("/ws?", "token"), "");
  EXPECT_EQ(query_parameter("/ws?other=1", "token"), "");
  EXPECT_EQ(query_parameter("/ws?token=", "token"), "");
  EXPECT_EQ(query_parameter("/ws?token", "token"), "");
  EXPECT_EQ(query_parameter("/ws?token=&x=1", "token"), "");
  EXPECT_EQ(query_parameter("/ws?&&token=v&&", "token"), "v");
  EXPECT_EQ(query_parameter("", "token"), "");
}

TEST(ViewerAccess, QueryParameterStopsAtTheFragment) {
  EXPECT_EQ(query_parameter("/ws?token=abc#frag", "token"), "abc");
  EXPECT_EQ(query_parameter("/ws?x=1#token=abc", "token"), "");
  EXPECT_EQ(query_parameter("/ws?x=1#&token=abc", "token"), "");
}

TEST(ViewerAccess, QueryParameterValueMayContainEquals) {
  EXPECT_EQ(query_parameter("/ws?token=a=b=c", "token"), "a=b=c");
}

}  // namespace
}  // namespace tomolive::daemon
