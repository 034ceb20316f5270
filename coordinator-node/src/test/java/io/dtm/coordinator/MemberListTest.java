package io.dtm.coordinator;

import io.dtm.protocol.rpc.ChangeMembersRequest;
import io.dtm.protocol.rpc.GroupMember;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A CHANGE_MEMBERS request's members are checked for shape before a group is asked to take them. */
class MemberListTest {
    private static ChangeMembersRequest.Builder change(int group, String... idAndAddress) {
        ChangeMembersRequest.Builder b = ChangeMembersRequest.newBuilder().setGroup(group);
        for (int i = 0; i < idAndAddress.length; i += 2) {
            b.addMembers(GroupMember.newBuilder().setNodeId(idAndAddress[i]).setRaftAddress(idAndAddress[i + 1]));
        }
        return b;
    }

    @Test
    void wellFormedMembersPassInTheirOrder() {
        ChangeMembersRequest ok = change(2, "n1", "127.0.0.1:7201", "n4", "host-4.example:7204").build();
        assertThat(MemberList.problem(ok, 3)).isEmpty();
        assertThat(MemberList.peers(ok)).extracting(p -> p.getId().toString()).containsExactly("n1", "n4");
        assertThat(MemberList.peers(ok).get(1).getAddress()).isEqualTo("host-4.example:7204");
    }

    @Test
    void eachMalformedRequestIsNamed() {
        assertThat(MemberList.problem(change(3, "n1", "127.0.0.1:7201").build(), 3)).get().asString()
                .contains("log group 3 does not exist (the cluster has groups 0 to 2)");
        assertThat(MemberList.problem(change(-1, "n1", "127.0.0.1:7201").build(), 3)).get().asString()
                .contains("does not exist");
        assertThat(MemberList.problem(change(0).build(), 3)).get().asString().contains("1 to 16 members, not 0");
        assertThat(MemberList.problem(change(0, "n 1", "127.0.0.1:7201").build(), 3)).get().asString()
                .contains("\"n 1\" is not a node id");
        assertThat(MemberList.problem(change(0, "n1", "127.0.0.1").build(), 3)).get().asString()
                .contains("member n1 has no Raft address host:port");
        assertThat(MemberList.problem(change(0, "n1", "127.0.0.1:7201", "n1", "127.0.0.1:7202").build(), 3)).get()
                .asString().contains("member n1 is named twice");
        ChangeMembersRequest.Builder many = change(0);
        for (int i = 0; i < 17; i++) {
            many.addMembers(GroupMember.newBuilder().setNodeId("n" + i).setRaftAddress("127.0.0.1:" + (7200 + i)));
        }
        assertThat(MemberList.problem(many.build(), 3)).get().asString().contains("not 17");
    }
}
