package io.stickyring.dist;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module graph the build enforces (docs/architecture.md): each module's compiled classes are
 * imported from its own {@code target/classes}, so a rule is about a module, not a package name.
 *
 * <pre>
 *   ring  <-  membership? no: ring depends on the JDK and Guava only
 *   ring  <-  lb, ring-sim, chat-node   membership  <-  lb, chat-node
 *   cli  <-  lb, chat-node, ring-sim, dist   (cli's membership and Netty dependencies are optional:
 *                                            ring-sim gets the parsers without Curator or Netty)
 *   lb  -/-  chat-node (either way)   ring-sim -/- lb, chat-node   membership -/- lb, chat-node, ring-sim
 *   chat-protocol  <-  chat-node, chat-client      (the JDK only: frame types, codes, the retry hint)
 *   cli  <-  chat-client  -/-  chat-node             (the SDK and loadgen never see the server; the
 *                                                    server's tests use the client, its main code never)
 * </pre>
 * Inside chat-node, packages: {@code model} (the domain: messages, acks, conversations, inbox
 * entries, the append rules) depends on the JDK only; {@code store} (persistence) on {@code model}
 * only; {@code protocol}, {@code bus} and {@code auth} never on {@code store}.
 * Maven already refuses an import of a module that is not a dependency; these rules also catch a
 * dependency added to a pom that the architecture does not allow.
 */
class ArchitectureTest {

    /** Each module is imported once per run (several rules read chat-node's classes). */
    private static final Map<String, JavaClasses> MODULES = new ConcurrentHashMap<>();

    private static JavaClasses module(String name) {
        return MODULES.computeIfAbsent(name, ArchitectureTest::importModule);
    }

    private static JavaClasses importModule(String name) {
        Path classes = Path.of("..", name, "target", "classes");
        assertThat(classes).as("compiled classes of module %s", name).isDirectory();
        JavaClasses imported = new ClassFileImporter().importPath(classes);
        assertThat(imported).as("classes of module %s", name).isNotEmpty();
        return imported;
    }

    /** Classes compiled in module {@code name}, by class: a rule that holds whatever package a class is put in. */
    private static DescribedPredicate<JavaClass> inModule(String name) {
        Set<String> names = module(name).stream().map(JavaClass::getName).collect(Collectors.toUnmodifiableSet());
        return DescribedPredicate.describe("are classes of module " + name, c -> names.contains(c.getName()));
    }

    @Test
    void ringDependsOnTheJdkAndGuavaOnly() {
        classes().should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", "com.google.common..", "io.stickyring.ring..")
                .because("the hashing algorithms are pure values shared by the LB, ring-sim and the docs' tables")
                .check(module("ring"));
    }

    @Test
    void lbDoesNotImportTheChatNode() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.stickyring.chat..")
                .check(module("lb"));
    }

    @Test
    void chatNodeDoesNotImportTheLb() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.stickyring.lb..", "io.stickyring.sim..")
                .check(module("chat-node"));
    }

    @Test
    void ringSimDoesNotImportTheLbOrTheChatNode() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "io.stickyring.lb..", "io.stickyring.chat..", "io.stickyring.membership..")
                .because("ring-sim simulates the production algorithms, not the servers around them")
                .check(module("ring-sim"));
    }

    @Test
    void chatProtocolDependsOnTheJdkOnly() {
        classes().should().onlyDependOnClassesThat().resideInAnyPackage("java..", "io.stickyring.chat.protocol..")
                .because("the protocol's names are shared by the server and every client, which must not inherit anything else")
                .check(module("chat-protocol"));
    }

    @Test
    void chatClientAndProtocolDoNotImportTheServer() {
        DescribedPredicate<JavaClass> server = inModule("chat-node");
        for (String m : new String[] {"chat-client", "chat-protocol"}) {
            noClasses().should().dependOnClassesThat(server)
                    .because("what the client shares with the server is in chat-protocol")
                    .check(module(m));
            noClasses().should().dependOnClassesThat().resideInAnyPackage("io.stickyring.lb..", "io.stickyring.sim..", "io.stickyring.dist..")
                    .check(module(m));
        }
    }

    @Test
    void chatNodeUsesTheClientOnlyInItsTests() {
        noClasses().should().dependOnClassesThat(inModule("chat-client"))
                .because("chat-client is a test dependency of chat-node: the server does not ship the SDK")
                .check(module("chat-node"));
    }

    @Test
    void librariesDoNotUsePicocli() {
        // Command-line parsing is the edge's (module cli and the commands); the libraries stay usable without it.
        noClasses().should().dependOnClassesThat().resideInAPackage("picocli..").check(module("ring"));
        noClasses().should().dependOnClassesThat().resideInAPackage("picocli..").check(module("membership"));
        noClasses().should().dependOnClassesThat().resideInAPackage("picocli..").check(module("chat-client"));
    }

    @Test
    void cliDoesNotImportTheServers() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "io.stickyring.lb..", "io.stickyring.chat..", "io.stickyring.sim..", "io.stickyring.dist..")
                .check(module("cli"));
    }

    @Test
    void cliKeepsItsOptionalDependenciesInOneClassEach() {
        // cli's membership and Netty dependencies are optional (ring-sim uses cli without them): only
        // the ZooKeeper option mixin may touch membership, only the transport choice Netty (with the
        // classes it makes that have to live in Netty's own package: the epoll half-close workaround
        // and the lean proxy channels; and ReadyHandle, the base of the LB's direct engine's epoll
        // handles, which keeps the epoll types out of lb).
        noClasses().that().doNotHaveSimpleName("ZkOptions")
                .should().dependOnClassesThat().resideInAPackage("io.stickyring.membership..")
                .check(module("cli"));
        noClasses().that().doNotHaveSimpleName("NettyTransport").and().doNotHaveSimpleName("ReadyHandle")
                .and().resideOutsideOfPackage("io.netty.channel.epoll")
                .should().dependOnClassesThat().resideInAPackage("io.netty..")
                .check(module("cli"));
        noClasses().that().doNotHaveSimpleName("NettyTransport")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.netty.channel.epoll.EpollHalfClosure")
                .check(module("cli"));
    }

    @Test
    void theTransportIsChosenInOnePlace() {
        // epoll, io_uring or NIO: cli's NettyTransport decides for the LB, the chat node and the client.
        for (String m : new String[] {"lb", "chat-node", "chat-client"}) {
            noClasses().should().dependOnClassesThat().resideInAnyPackage(
                            "io.netty.channel.epoll..", "io.netty.channel.uring..", "io.netty.channel.nio..", "io.netty.channel.socket.nio..")
                    .because("the transport choice lives in cli's NettyTransport")
                    .check(module(m));
        }
    }

    @Test
    void oneParserPerEdgeGrammar() {
        // HOST:PORT, ID=HOST:PORT[/WEIGHT] and --config are cli's: no command module declares its own.
        for (String m : new String[] {"lb", "chat-node", "chat-client", "ring-sim", "dist"}) {
            noClasses().should().haveSimpleName("HostPort").orShould().haveSimpleName("YamlDefaults")
                    .orShould().haveSimpleName("YamlArgs").allowEmptyShould(true).check(module(m));
        }
    }

    @Test
    void chatModelDependsOnTheJdkOnly() {
        classes().that().resideInAPackage("io.stickyring.chat.model..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "io.stickyring.chat.model..")
                .because("the chat domain (messages, acks, conversations, the append rules) is what every other package shares")
                .check(module("chat-node"));
    }

    @Test
    void chatStoreIsPersistenceBelowTheModel() {
        noClasses().that().resideInAPackage("io.stickyring.chat.store..")
                .should().dependOnClassesThat(resideInAPackage("io.stickyring.chat..")
                        .and(resideInAPackage("io.stickyring.chat.store..").negate())
                        .and(resideInAPackage("io.stickyring.chat.model..").negate()))
                .because("a store executes the model's rules in SQL; it knows no bus, protocol or server")
                .check(module("chat-node"));
    }

    @Test
    void chatProtocolBusAndAuthDoNotImportTheStore() {
        noClasses().that().resideInAnyPackage("io.stickyring.chat.protocol..", "io.stickyring.chat.bus..", "io.stickyring.chat.auth..")
                .should().dependOnClassesThat().resideInAPackage("io.stickyring.chat.store..")
                .because("they speak the model; which store persists it is the server's wiring")
                .check(module("chat-node"));
    }

    @Test
    void membershipDoesNotImportTheServers() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "io.stickyring.lb..", "io.stickyring.chat..", "io.stickyring.sim..", "io.stickyring.dist..")
                .check(module("membership"));
    }

    @Test
    void everyModuleIsChecked() throws Exception {
        // A new module must be given its rules here: list the reactor's modules from the parent pom.
        String pom = Files.readString(Path.of("..", "pom.xml"));
        java.util.List<String> modules = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        while (m.find()) {
            modules.add(m.group(1));
        }
        assertThat(modules).containsExactlyInAnyOrder(
                "ring", "membership", "cli", "lb", "chat-protocol", "chat-client", "chat-node", "ring-sim", "dist");
    }
}
